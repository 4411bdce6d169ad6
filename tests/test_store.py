import os

import numpy as np
import pytest

from research.store import Store, WorkdirLocked, WorkdirMismatch, atomic_write_text, stable_hash


def test_stable_hash_ignores_key_order_and_sees_values():
  assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
  assert stable_hash({"a": 1}) != stable_hash({"a": 2})


def test_atomic_write_leaves_old_file_when_interrupted(tmp_path, monkeypatch):
  path = tmp_path / "f.txt"
  atomic_write_text(path, "old")

  def boom(*a, **k):
    raise OSError("disk full")

  monkeypatch.setattr(os, "replace", boom)
  with pytest.raises(OSError):
    atomic_write_text(path, "new")
  assert path.read_text() == "old"
  assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # no temporary file left behind


def test_units_roundtrip_and_resume(tmp_path):
  store = Store(tmp_path, {"x": 1})
  assert not store.has_unit("abc")
  store.write_unit("abc", {"status": "ok", "rows": [{"a": 1}]}, {"curve": np.arange(3)})
  store.release()
  again = Store(tmp_path, {"x": 1})
  assert again.check_unit("abc") is None
  assert again.has_unit("abc") and again.read_unit("abc")["rows"] == [{"a": 1}]
  np.testing.assert_array_equal(again.read_arrays("abc")["curve"], np.arange(3))


def test_other_config_is_refused_unless_overwrite(tmp_path):
  first = Store(tmp_path, {"x": 1})
  first.write_unit("abc", {"status": "ok"})
  first.release()
  with pytest.raises(WorkdirMismatch, match="--overwrite"):
    Store(tmp_path, {"x": 2})
  store = Store(tmp_path, {"x": 2}, overwrite=True)
  assert not store.has_unit("abc")


def test_unwritable_workdir_is_a_clear_error(tmp_path):
  blocker = tmp_path / "file"
  blocker.write_text("not a folder")
  with pytest.raises(ValueError, match="is not writable"):
    Store(blocker / "workdir", {"x": 1})


# ----------------------------------------------------------------------------- damage, locks, modes

def test_lock_refuses_a_second_claim_naming_the_holder(tmp_path):
  first = Store(tmp_path, {"x": 1})
  with pytest.raises(WorkdirLocked, match=f"process {os.getpid()}"):
    Store(tmp_path, {"x": 1})
  first.release()
  Store(tmp_path, {"x": 1}).release()  # free again once released


def test_lock_is_released_when_the_holder_dies(tmp_path):
  import subprocess
  import sys
  holder = subprocess.Popen([sys.executable, "-c", (
      "import sys, time; from research.store import Store; s = Store(sys.argv[1], {'x': 1}); "
      "print('held', flush=True); time.sleep(60)"), str(tmp_path)], stdout=subprocess.PIPE, text=True)
  assert holder.stdout.readline().strip() == "held"
  with pytest.raises(WorkdirLocked):
    Store(tmp_path, {"x": 1})
  holder.kill()
  holder.wait()
  Store(tmp_path, {"x": 1}).release()


def test_temporary_files_of_killed_writes_are_removed(tmp_path):
  Store(tmp_path, {"x": 1}).release()
  (tmp_path / "units" / ".abc.json.123.tmp").write_text("half")
  (tmp_path / ".results.csv.9.tmp").write_text("half")
  Store(tmp_path, {"x": 1}).release()
  assert not list(tmp_path.rglob("*.tmp"))


def test_overwrite_removes_every_output_of_the_old_run(tmp_path):
  store = Store(tmp_path, {"x": 1})
  store.write_unit("abc", {"status": "ok"})
  store.release()
  for name in ("results.csv", "checkpoints.csv", "report.html"):
    (tmp_path / name).write_text("old")
  (tmp_path / "figures").mkdir()
  (tmp_path / "figures" / "old.png").write_bytes(b"png")
  Store(tmp_path, {"x": 2}, overwrite=True).release()
  assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "config_hash.txt", "units"]
  assert not list((tmp_path / "units").iterdir())


def test_a_workdir_of_another_study_is_refused_by_name(tmp_path):
  store = Store(tmp_path, {"study": "relu_vs_leaky"})
  atomic_write_text(tmp_path / "config.json", '{"config": {"study": "relu_vs_leaky"}}')
  store.release()
  with pytest.raises(WorkdirMismatch, match="another study \\('relu_vs_leaky', this is 'dying_relu'\\)"):
    Store(tmp_path, {"study": "dying_relu"})


def test_files_are_readable_by_collaborators(tmp_path):
  old = os.umask(0o022)
  try:
    atomic_write_text(tmp_path / "table.csv", "a\n1\n")
    assert (tmp_path / "table.csv").stat().st_mode & 0o777 == 0o644
    os.umask(0o077)  # a private umask is respected
    atomic_write_text(tmp_path / "private.csv", "a\n1\n")
    assert (tmp_path / "private.csv").stat().st_mode & 0o777 == 0o600
  finally:
    os.umask(old)


def test_a_full_disk_is_one_line_naming_the_folder_and_the_bytes(tmp_path, monkeypatch):
  import errno

  def full(fd, data):
    raise OSError(errno.ENOSPC, "No space left on device")

  monkeypatch.setattr(os, "fsync", lambda fd: None)
  real_fdopen = os.fdopen

  class Full:
    def __init__(self, f):
      self.f = f
    def __enter__(self):
      return self
    def __exit__(self, *a):
      self.f.close()
    def write(self, data):
      raise OSError(errno.ENOSPC, "No space left on device")

  monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
  with pytest.raises(OSError) as e:
    atomic_write_text(tmp_path / "results.csv", "x" * 1000)
  assert e.value.errno == errno.ENOSPC and str(tmp_path) in str(e.value) and "1,000 bytes" in str(e.value)
  assert "\n" not in str(e.value) and not list(tmp_path.iterdir())


def _unit(tmp_path):
  store = Store(tmp_path, {"x": 1})
  store.write_unit("u", {"status": "ok", "unit": "u", "rows": [{"a": 1.5}]}, {"curve_step": np.arange(3)})
  return store


@pytest.mark.parametrize("damage,reason", [
    (lambda d: (d / "u.json").write_text((d / "u.json").read_text()[:40]), "unreadable record"),
    (lambda d: (d / "u.json").write_text("\x00garbage{"), "unreadable record"),
    (lambda d: (d / "u.json").write_text(""), "unreadable record"),
    (lambda d: (d / "u.json").unlink(), "missing"),
    (lambda d: (d / "u.npz").write_bytes((d / "u.npz").read_bytes()[:30]), "arrays file damaged"),
    (lambda d: (d / "u.npz").write_bytes(b""), "arrays file damaged"),
    (lambda d: (d / "u.npz").unlink(), "arrays file missing"),
    (lambda d: (d / "u.json").write_text((d / "u.json").read_text().replace("1.5", "1.6")), "edited"),
])
def test_check_unit_names_each_kind_of_damage(tmp_path, damage, reason):
  store = _unit(tmp_path)
  assert store.check_unit("u") is None
  damage(tmp_path / "units")
  assert reason in store.check_unit("u")


def test_a_record_missing_a_key_or_from_other_code_is_not_reused(tmp_path):
  import json
  from research import store as store_module
  store = _unit(tmp_path)
  record = store.read_unit("u")
  for change in (lambda r: r.pop("unit"), lambda r: r.update(code="0.0.1+oldcode")):
    r = json.loads(json.dumps(record))
    change(r)
    r["checksum"] = store_module._record_digest(r)  # a valid checksum: the content itself is wrong
    (tmp_path / "units" / "u.json").write_text(json.dumps(r))
    reason = store.check_unit("u", required=("status", "unit"))
    assert ("lacks ['unit']" in reason) or ("computed by other code (0.0.1+oldcode" in reason), reason
