"""The bench finds real data from --realdata, $COAMD_REALDATA or the working directory -- never the install path."""

from coamd.bench.context import REALDATA_ENV, find_realdata


def test_realdata_from_argument_environment_or_absent(tmp_path, monkeypatch):
    folder = tmp_path / "real"
    folder.mkdir()
    assert find_realdata(folder) == (folder, "")
    root, why = find_realdata(tmp_path / "missing")
    assert root is None and "--realdata" in why
    monkeypatch.setenv(REALDATA_ENV, str(folder))
    assert find_realdata() == (folder, "")
    monkeypatch.setenv(REALDATA_ENV, str(tmp_path / "gone"))
    assert find_realdata()[0] is None and REALDATA_ENV in find_realdata()[1]
    monkeypatch.delenv(REALDATA_ENV)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)                                    # no ../shared/realdata here: reported absent
    root, why = find_realdata()
    assert root is None and why.startswith("absent")
    (tmp_path / "a" / "shared" / "realdata").mkdir(parents=True)
    assert find_realdata()[0] == tmp_path / "a" / "shared" / "realdata"
