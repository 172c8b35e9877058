"""Settings read from the environment: the time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from survey.settings import ConfigError, load


def test_time_zone_defaults_to_paris(tmp_path):
    assert load({"PARLONS_DATA_DIR": str(tmp_path)}).time_zone == ZoneInfo("Europe/Paris")


def test_time_zone_is_read_from_the_environment(tmp_path):
    settings = load({"PARLONS_DATA_DIR": str(tmp_path), "PARLONS_TIME_ZONE": "America/Cayenne"})
    assert settings.time_zone == ZoneInfo("America/Cayenne")


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "Paris"])
def test_unknown_time_zone_is_refused_with_its_name(tmp_path, name):
    with pytest.raises(ConfigError, match="PARLONS_TIME_ZONE"):
        load({"PARLONS_DATA_DIR": str(tmp_path), "PARLONS_TIME_ZONE": name})
