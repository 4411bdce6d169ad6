import os

import numpy as np
import pytest

from research.store import Store, WorkdirMismatch, atomic_write_text, stable_hash


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
  again = Store(tmp_path, {"x": 1})
  assert again.has_unit("abc") and again.read_unit("abc")["rows"] == [{"a": 1}]
  np.testing.assert_array_equal(again.read_arrays("abc")["curve"], np.arange(3))


def test_other_config_is_refused_unless_overwrite(tmp_path):
  Store(tmp_path, {"x": 1}).write_unit("abc", {"status": "ok"})
  with pytest.raises(WorkdirMismatch, match="--overwrite"):
    Store(tmp_path, {"x": 2})
  store = Store(tmp_path, {"x": 2}, overwrite=True)
  assert not store.has_unit("abc")


def test_unwritable_workdir_is_a_clear_error(tmp_path):
  blocker = tmp_path / "file"
  blocker.write_text("not a folder")
  with pytest.raises(ValueError, match="is not writable"):
    Store(blocker / "workdir", {"x": 1})
