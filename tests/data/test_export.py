"""Light-curve export: the CSV reads back through the dashboard's own upload and registers onto
the same cadences; the FITS file carries the columns, units and keywords lightkurve expects."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy import units
from astropy.io import fits

from dashboard.data.demo import demo_tpf
from dashboard.data.export import CurveExport, aperture_flux_err, lightcurve_csv, lightcurve_fits
from dashboard.data.lightcurves import read_lightcurve, to_mission_time
from dashboard.data.registration import register
from dashboard.data.vetting import aperture_lightcurve


@pytest.fixture(scope="module")
def tpf():
    return demo_tpf()


def make_export(tpf, *, drop_hidden: bool, background: str = "file") -> CurveExport:
    target = tpf.pipeline_mask
    hidden = tpf.flags.flagged(tpf.quality, "default")
    return CurveExport(tpf=tpf, flux=aperture_lightcurve(tpf, target, background=background),
                       flux_err=aperture_flux_err(tpf, target), target_mask=target,
                       background_mask=np.zeros(tpf.shape, dtype=bool), background=background,
                       hidden=hidden, quality="default",
                       quality_bitmask=tpf.flags.bitmask("default"), drop_hidden=drop_hidden)


@pytest.mark.parametrize("drop_hidden", [False, True])
def test_csv_reimports_and_registers_onto_the_same_cadences(tpf, drop_hidden):
    export = make_export(tpf, drop_hidden=drop_hidden)
    text = lightcurve_csv(export)
    lc = read_lightcurve(text.encode(), "export.csv")
    rows = export.rows
    assert lc.time_system == tpf.time_system
    assert lc.columns["time"] == "time" and lc.columns["flux"] == "flux"
    np.testing.assert_allclose(lc.flux, export.flux[rows], rtol=1e-9)
    np.testing.assert_array_equal(lc.cadenceno, tpf.cadenceno[rows])
    np.testing.assert_array_equal(lc.quality, tpf.quality[rows])
    time = to_mission_time(lc, tpf.time_system, tpf.bjd_reference)
    for custom_cadenceno in (lc.cadenceno, None):  # by cadence number, and by time alone
        registration = register(time, tpf.time, cadence_days=tpf.cadence_days,
                                custom_cadenceno=custom_cadenceno,
                                tpf_cadenceno=None if custom_cadenceno is None else tpf.cadenceno)
        np.testing.assert_array_equal(registration.frames, rows)
    assert len(rows) == (tpf.n_cadences - export.hidden.sum() if drop_hidden else tpf.n_cadences)


def test_csv_header_says_target_mission_aperture_time_system_and_quality(tpf):
    text = lightcurve_csv(make_export(tpf, drop_hidden=False))
    header = [line for line in text.splitlines() if line.startswith("#")]
    joined = "\n".join(header)
    assert f"target: {tpf.target}" in joined
    assert "mission: K2" in joined
    assert f"aperture: {int(tpf.pipeline_mask.sum())} pixels" in joined
    assert "time system: BKJD = BJD - 2454833.0, TDB" in joined
    assert "flagged" in joined and "FLUX_BKG" in joined
    assert "applied" in lightcurve_csv(make_export(tpf, drop_hidden=True))


def test_fits_columns_units_and_keywords(tpf):
    export = make_export(tpf, drop_hidden=False)
    with fits.open(io.BytesIO(lightcurve_fits(export))) as hdul:
        primary, table, aperture = hdul[0].header, hdul["LIGHTCURVE"], hdul["APERTURE"]
        assert primary["TELESCOP"] == "Kepler" and primary["MISSION"] == "K2"
        assert primary["OBJECT"] == tpf.target
        for key, value in tpf.header.items():
            if key not in ("OBJECT",):
                assert primary[key] == value
        assert "lightcurve" in primary["CREATOR"].lower() and primary["ORIGIN"]
        header = table.header
        assert header["TIMESYS"] == "TDB" and header["TIMEREF"] == "SOLARSYSTEM"
        assert header["BJDREFI"] + header["BJDREFF"] == tpf.bjd_reference
        assert header["TIMEUNIT"] == "d"
        columns = table.columns
        assert columns.names[:5] == ["TIME", "FLUX", "FLUX_ERR", "QUALITY", "CADENCENO"]
        assert columns["TIME"].unit == "d"
        assert columns["FLUX"].unit == columns["FLUX_ERR"].unit == "e-/s"
        data = table.data
        np.testing.assert_array_equal(data["TIME"], tpf.time)
        np.testing.assert_array_equal(data["FLUX"], export.flux)
        np.testing.assert_array_equal(data["CADENCENO"], tpf.cadenceno)
        np.testing.assert_array_equal(data["QUALITY"], tpf.quality)
        np.testing.assert_array_equal(data["MASKED"], export.hidden)
        assert np.isfinite(data["FLUX_ERR"]).all() and (data["FLUX_ERR"] > 0).all()
        np.testing.assert_array_equal((aperture.data & 2) != 0, tpf.pipeline_mask)
        assert aperture.header["CRVAL1P"] == tpf.column and aperture.header["CRVAL2P"] == tpf.row
        assert hdul[1].header["QAPPLIED"] is False


def test_fits_reads_back_through_the_dashboards_own_upload(tpf):
    export = make_export(tpf, drop_hidden=True)
    lc = read_lightcurve(lightcurve_fits(export), "export.fits")
    assert lc.time_system == "BKJD"
    np.testing.assert_array_equal(lc.cadenceno, tpf.cadenceno[export.rows])


def test_lightkurve_reads_the_same_values(tpf, tmp_path):
    """lightkurve (in the test extra: a missing one fails here) reads the exported file as a
    KeplerLightCurve with the same times, fluxes, errors, quality and cadence numbers."""
    import lightkurve

    export = make_export(tpf, drop_hidden=False)
    path = tmp_path / "export.fits"
    path.write_bytes(lightcurve_fits(export))
    lc = lightkurve.read(str(path), quality_bitmask="none")
    assert type(lc).__name__ == "KeplerLightCurve"
    assert len(lc) == tpf.n_cadences
    np.testing.assert_allclose(lc.time.value, tpf.time, rtol=0, atol=1e-9)
    assert lc.time.format == "bkjd" and lc.time.scale == "tdb"
    np.testing.assert_allclose(lc.time.jd, tpf.time + 2454833.0, rtol=0, atol=1e-8)
    np.testing.assert_allclose(lc.flux.value, export.flux, rtol=1e-12)
    np.testing.assert_allclose(lc.flux_err.value, export.flux_err, rtol=1e-12)
    assert lc.flux.unit == lc.flux_err.unit == units.electron / units.s
    np.testing.assert_array_equal(np.asarray(lc.quality), tpf.quality)
    np.testing.assert_array_equal(np.asarray(lc.cadenceno), tpf.cadenceno)
    default = lightkurve.read(str(path))  # lightkurve's own default mask leaves these out
    assert len(default) == tpf.n_cadences - export.hidden.sum()
