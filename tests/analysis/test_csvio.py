import pytest

from analysis.csvio import TableError, parse_table, read_table, sniff_delimiter


def test_parse_table_utf8_comma():
    table = parse_table("id,réponse\n1,Plus de crèches\n2,Des bus\n".encode())
    assert table.header == ["id", "réponse"]
    assert table.rows == [["1", "Plus de crèches"], ["2", "Des bus"]]
    assert table.delimiter == ","


def test_parse_table_semicolon_cp1252_with_bom_like_excel():
    data = b"\xef\xbb\xbf" + "id;réponse\n1;Crèche, garderie\n".encode()
    table = parse_table(data)
    assert table.header == ["id", "réponse"]
    assert table.rows == [["1", "Crèche, garderie"]]
    assert table.encoding == "utf-8-sig"


def test_parse_table_bom_before_cp1252_text():
    data = b"\xef\xbb\xbf" + "id;réponse\n1;école\n".encode("cp1252")
    table = parse_table(data)
    assert table.header == ["id", "réponse"]
    assert table.rows == [["1", "école"]]


def test_parse_table_cp1252_without_bom():
    data = "id;réponse\n1;Plus de médecins – vite\n".encode("cp1252")
    table = parse_table(data)
    assert table.encoding == "cp1252"
    assert table.rows == [["1", "Plus de médecins – vite"]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_delimiter_each_candidate(delimiter):
    text = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x y", "3"]) + "\n"
    assert sniff_delimiter(text) == delimiter


def test_sniff_delimiter_ignores_commas_inside_quotes():
    text = 'id;answer\n1;"more buses, more trams, more bikes"\n2;"parks, benches"\n'
    assert sniff_delimiter(text) == ";"


def test_parse_table_quoted_newlines_stay_in_cell():
    table = parse_table(b'id,answer\n1,"first line\nsecond line"\n2,other\n')
    assert table.rows == [["1", "first line\nsecond line"], ["2", "other"]]


def test_parse_table_pads_short_rows_and_skips_blank_lines():
    table = parse_table(b"a,b,c\n1,2\n\n4,5,6,7\n")
    assert table.rows == [["1", "2", ""], ["4", "5", "6"]]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_parse_table_empty_raises_key(data):
    with pytest.raises(TableError) as caught:
        parse_table(data)
    assert caught.value.key == "csv.empty"


def test_parse_table_too_many_bytes_raises_key():
    with pytest.raises(TableError) as caught:
        parse_table(b"a\n" + b"x\n" * 100, max_bytes=50)
    assert caught.value.key == "csv.too_large"
    assert caught.value.params["limit"] == 50


def test_parse_table_too_many_rows_raises_key():
    with pytest.raises(TableError) as caught:
        parse_table(b"a\n" + b"x\n" * 20, max_rows=10)
    assert caught.value.key == "csv.too_large"


def test_table_column_missing_lists_available():
    table = parse_table(b"id,answer\n1,x\n")
    with pytest.raises(TableError) as caught:
        table.column("reponse")
    assert caught.value.key == "csv.missing_column"
    assert caught.value.params == {"column": "reponse", "available": ["id", "answer"]}
    assert isinstance(caught.value, ValueError)


def test_table_column_matches_ignoring_case_and_spaces():
    table = parse_table(b"id, Answer \n1,x\n")
    assert table.column("answer") == ["x"]


def test_read_table_missing_file_is_unreadable(tmp_path):
    with pytest.raises(TableError) as caught:
        read_table(tmp_path / "absent.csv")
    assert caught.value.key == "csv.unreadable"
