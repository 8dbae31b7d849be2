"""support.scratch: a tmpfs for the suite's folders only when it is one and has room (this
machine's own mounts and memory, read by psutil)."""

from __future__ import annotations

import pytest

from support.scratch import TMPFS, room, tmpfs_folder

needs_tmpfs = pytest.mark.skipif(tmpfs_folder(needed=0) is None,
                                 reason=f"{TMPFS} is not a writable tmpfs here")


@needs_tmpfs
def test_a_tmpfs_with_room_is_taken_and_one_without_is_not():
    assert tmpfs_folder(needed=1) == TMPFS
    assert tmpfs_folder(needed=room(TMPFS) + 2**30) is None


def test_a_folder_that_is_not_a_tmpfs_mount_point_is_not_taken(tmp_path):
    assert tmpfs_folder(tmp_path, needed=0) is None
    assert tmpfs_folder(tmp_path / "missing", needed=0) is None
