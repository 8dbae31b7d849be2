"""support.scratch: a tmpfs for the suite's folders only when it is one and has room."""

from __future__ import annotations

import os

from support.scratch import tmpfs_folder


def _machine(tmp_path, fstype: str, available_kb: int):
    folder = tmp_path / "shm"
    folder.mkdir(parents=True)
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\n{fstype} {folder} {fstype} rw,size=1k 0 0\n")
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal:       24000000 kB\nMemAvailable:   {available_kb} kB\n")
    return {"candidate": folder, "mounts": mounts, "meminfo": meminfo}


def test_a_tmpfs_with_room_is_taken(tmp_path):
    machine = _machine(tmp_path, "tmpfs", available_kb=4)
    assert tmpfs_folder(**machine, needed=4096) == machine["candidate"]


def test_a_folder_that_is_not_a_tmpfs_mount_is_not(tmp_path):
    assert tmpfs_folder(**_machine(tmp_path, "ext4", available_kb=10**9), needed=1) is None


def test_too_little_memory_or_room_in_the_tmpfs_is_not_enough(tmp_path):
    machine = _machine(tmp_path, "tmpfs", available_kb=4)
    assert tmpfs_folder(**machine, needed=4097) is None  # memory: 4 kB
    free = os.statvfs(machine["candidate"])
    room = free.f_bavail * free.f_frsize
    big = _machine(tmp_path / "big", "tmpfs", available_kb=room)  # memory enough, room not
    assert tmpfs_folder(**big, needed=room + 4096) is None


def test_a_machine_without_the_files_it_reads_uses_its_disk(tmp_path):
    assert tmpfs_folder(tmp_path, mounts=tmp_path / "none", meminfo=tmp_path / "none") is None
