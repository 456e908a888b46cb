"""Chunked reading and writing of ``.npy`` files and ``.npz`` members, in bounded memory.

The ``lossx eval`` command (``_cli.py``) streams arrays far larger than memory. A plain
``np.load(path, mmap_mode='r')`` would do the reading, but a mapping keeps every page it
has touched resident until it is unmapped, so the process would grow to the size of the
file. Here each chunk is read with ``preadv`` at its offset into a buffer that the caller
reuses: the resident memory is the buffers, whatever the file size.

* :class:`ArrayFile` opens ``path.npy``, ``path.npz:key`` (or ``path.npz`` with a single
  member) and reads rows ``[lo, hi)`` along any axis. C- and Fortran-ordered files, any byte
  order (chunks come back native-endian). Members of an ``.npz`` stored uncompressed
  (``np.savez``) are read by offset like a ``.npy``; compressed members (``np.savez_compressed``)
  are decompressed as a stream, so they must be read in order along their first axis.
* :class:`NpyWriter` writes a ``.npy`` chunk by chunk under a temporary name in the target's
  directory and renames it into place only when :meth:`NpyWriter.commit` is called;
  :meth:`NpyWriter.abort` (or leaving its ``with`` block by an exception) removes it.

Every problem with a file is an :class:`ArrayFileError` whose message names the file.
"""

from __future__ import annotations

import mmap
import os
import secrets
import struct
import zipfile
from typing import IO, Any, Sequence

import numpy as np
import numpy.lib.format as npformat

__all__ = ["ArrayFileError", "ArrayFile", "NpyWriter", "atomic_path", "release_temp", "remove_temp",
           "remove_live_temps"]


class ArrayFileError(Exception):
    """An input or output file that cannot be used; the message names the file and the problem."""


def _native(dtype: np.dtype[Any]) -> np.dtype[Any]:
    return dtype.newbyteorder("=") if dtype.byteorder not in "=|" else dtype


def _read_header(f: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """Read the magic string and the header of a ``.npy`` stream: (shape, fortran_order, dtype)."""
    try:
        version = npformat.read_magic(f)
    except ValueError:
        raise ArrayFileError(f"{name}: not a .npy file (no NumPy magic string at its start)") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(f)
        else:
            raise ArrayFileError(f"{name}: unsupported .npy format version {version[0]}.{version[1]} "
                                 "(lossx reads versions 1.0 and 2.0)")
    except ArrayFileError:
        raise
    except Exception as e:  # numpy's parser raises ValueError, SyntaxError, tokenize.TokenError, ...
        why = str(e).splitlines()[0] if str(e) else ""
        why = f" ({why})" if why and " at 0x" not in why and len(why) < 120 else ""
        raise ArrayFileError(f"{name}: corrupt .npy header{why}") from None
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None or dtype.kind not in "biuf":
        raise ArrayFileError(f"{name}: not a numeric array (dtype {dtype.str if dtype.names is None else dtype}); "
                             "lossx reads bool, integer and float arrays")
    return tuple(int(s) for s in shape), bool(fortran), dtype


def _split_spec(spec: str) -> tuple[str, str | None]:
    """``'a.npz:key'`` -> (``'a.npz'``, ``'key'``); anything else -> (spec, None)."""
    if not os.path.exists(spec) and ":" in spec:
        path, key = spec.rsplit(":", 1)
        if path.lower().endswith(".npz"):
            return path, key
    return spec, None


class ArrayFile:
    """A ``.npy`` file or ``.npz`` member, read in chunks along an axis.

    ``ArrayFile(spec)`` opens ``spec`` (``file.npy``, ``file.npz:key``, or ``file.npz`` when it
    holds a single array) and reads its header; ``shape`` and ``dtype`` (native byte order)
    describe the array. :meth:`read` returns rows ``[lo, hi)`` along an axis, :meth:`read_all`
    the whole array. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, spec: str) -> None:
        self.name = spec
        self._file: IO[bytes] | None = None
        self._zip: zipfile.ZipFile | None = None
        self._stream: IO[bytes] | None = None
        self._stream_rows = 0  # rows of a compressed member consumed so far
        path, key = _split_spec(spec)
        self.path = path
        try:
            self._file = open(path, "rb", buffering=0)
        except FileNotFoundError:
            raise ArrayFileError(f"{spec}: no such file") from None
        except IsADirectoryError:
            raise ArrayFileError(f"{spec}: is a directory, not a .npy/.npz file") from None
        except OSError as e:
            raise ArrayFileError(f"{spec}: cannot open ({e.strerror or e})") from None
        try:
            self._open(path, key)
        except BaseException:
            self.close()
            raise

    def _open(self, path: str, key: str | None) -> None:
        assert self._file is not None
        head = self._file.read(6)
        self._file.seek(0)
        if head.startswith(b"PK"):
            self._open_member(path, key)
            return
        if key is not None:
            raise ArrayFileError(f"{self.name}: {path} is not an .npz archive")
        if path.lower().endswith(".npz"):
            raise ArrayFileError(f"{self.name}: not an .npz archive (no zip signature)")
        self.shape, self.fortran, stored = _read_header(self._file, self.name)
        self._offset: int | None = self._file.tell()  # an unbuffered file: the header ends here
        self._set_dtype(stored)
        self._check_size(os.fstat(self._file.fileno()).st_size - self._offset)

    def _open_member(self, path: str, key: str | None) -> None:
        assert self._file is not None
        try:
            self._zip = zipfile.ZipFile(self._file)
        except zipfile.BadZipFile as e:
            raise ArrayFileError(f"{self.name}: corrupt .npz archive ({e})") from None
        members = [i for i in self._zip.infolist() if not i.is_dir()]
        keys = [i.filename[:-4] if i.filename.endswith(".npy") else i.filename for i in members]
        if key is None:
            if len(members) != 1:
                listed = ", ".join(keys) if keys else "none"
                raise ArrayFileError(f"{self.name}: the archive holds {len(members)} arrays ({listed}); "
                                     f"name one as {path}:KEY")
            info = members[0]
        else:
            found = [m for m, k in zip(members, keys) if k == key or m.filename == key]
            if not found:
                raise ArrayFileError(f"{self.name}: no array '{key}' in {path} (it holds: {', '.join(keys) or 'none'})")
            info = found[0]
        if info.flag_bits & 0x1:
            raise ArrayFileError(f"{self.name}: the member is encrypted")
        if info.compress_type == zipfile.ZIP_STORED:
            # Stored: the .npy bytes lie in the archive as they are; find them after the local header.
            self._file.seek(info.header_offset)
            local = self._file.read(30)
            if len(local) != 30 or local[:4] != b"PK\x03\x04":
                raise ArrayFileError(f"{self.name}: corrupt .npz archive (bad local header)")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_len + extra_len
            self._file.seek(start)
            self.shape, self.fortran, stored = _read_header(self._file, self.name)
            self._offset = self._file.tell()
            self._set_dtype(stored)
            self._check_size(info.file_size - (self._offset - start))
        else:
            try:
                self._stream = self._zip.open(info)
            except (NotImplementedError, zipfile.BadZipFile, RuntimeError) as e:
                raise ArrayFileError(f"{self.name}: cannot read the member ({e})") from None
            self._offset = None
            self.shape, self.fortran, stored = _read_header(self._stream, self.name)
            self._set_dtype(stored)
            self._check_size(info.file_size - self._stream.tell())

    def _set_dtype(self, stored: np.dtype[Any]) -> None:
        self.stored_dtype = stored
        self.dtype = _native(stored)
        self._swap = not stored.isnative
        self._nbytes = int(np.prod(self.shape, dtype=np.int64)) * stored.itemsize

    def _check_size(self, available: int) -> None:
        if available < self._nbytes:
            raise ArrayFileError(
                f"{self.name}: truncated: the header says {self.shape} {self.stored_dtype} ({self._nbytes:,} bytes of "
                f"data) but the file holds {max(available, 0):,}")

    # -- reading -----------------------------------------------------------------------------

    @property
    def compressed(self) -> bool:
        """True for a compressed ``.npz`` member: it can only be read in order along axis 0."""
        return self._offset is None

    def streamable(self, axis: int) -> bool:
        """Whether chunks along ``axis`` can be read (any axis from a file; axis 0 of a C-ordered stream)."""
        if not self.compressed:
            return True
        return axis == 0 and (not self.fortran or len(self.shape) <= 1)

    def _layout(self, axis: int) -> tuple[tuple[int, ...], int]:
        """The array as it lies in the file (C order) and the position of ``axis`` in it."""
        if self.fortran and len(self.shape) > 1:
            return self.shape[::-1], len(self.shape) - 1 - axis
        return self.shape, axis

    def chunk_shape(self, axis: int, rows: int) -> tuple[int, ...]:
        """The shape of a chunk of ``rows`` rows along ``axis``."""
        s = list(self.shape)
        s[axis] = rows
        return tuple(s)

    def mappable(self, axis: int) -> bool:
        """Whether chunks along ``axis`` are single runs of native-endian bytes (see :meth:`read`'s ``maps``)."""
        if self.compressed or self._swap or (self.fortran and len(self.shape) > 1):
            return False
        return int(np.prod(self.shape[:axis], dtype=np.int64)) <= 1

    def read(self, axis: int, lo: int, hi: int, buffer: np.ndarray | None = None,
             maps: list[mmap.mmap] | None = None) -> np.ndarray:
        """Rows ``[lo, hi)`` along ``axis``, native-endian, read into ``buffer`` if it is given.

        ``buffer`` is a 1-D array of this file's native dtype with at least as many elements
        as the chunk; the result is a view of it (C-ordered for a C-ordered file, Fortran-ordered
        for a Fortran-ordered one). A compressed member is read in order: ``lo`` must be where
        the previous chunk ended, and ``axis`` 0.

        With a list ``maps``, a chunk that lies in the file as one run of native bytes is not
        copied: the run is memory-mapped (read-only, populated at once), the result is a view of
        the mapping, and the mapping is appended to ``maps``. The caller closes it (``mm.close()``)
        once no view of it is left, so that the pages leave the process (a mapping that stays
        open keeps every page it touched resident).
        """
        shape = self.chunk_shape(axis, hi - lo)
        count = int(np.prod(shape, dtype=np.int64))
        if maps is not None and count and self.mappable(axis):
            assert self._offset is not None and self._file is not None
            inner = int(np.prod(self.shape[axis + 1:], dtype=np.int64)) * self.dtype.itemsize
            start = self._offset + lo * inner
            base = start - start % mmap.ALLOCATIONGRANULARITY
            try:
                mm = mmap.mmap(self._file.fileno(), start - base + count * self.dtype.itemsize,
                               flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ,
                               offset=base)
            except (OSError, ValueError):
                pass  # e.g. a file system without mmap: read a copy instead
            else:
                maps.append(mm)
                return np.frombuffer(mm, self.dtype, count, start - base).reshape(shape)
        if buffer is None:
            buffer = np.empty(count, self.dtype)
        elif buffer.dtype != self.dtype or buffer.size < count:
            raise ValueError("ArrayFile.read: buffer too small or of the wrong dtype")
        flat = buffer[:count]
        file_shape, faxis = self._layout(axis)
        if self.compressed:
            if not self.streamable(axis):
                raise ArrayFileError(f"{self.name}: a compressed .npz member is read as a stream, along its first "
                                     "axis only; store it uncompressed (np.savez) or as a .npy file")
            if lo != self._stream_rows:
                raise ArrayFileError(f"{self.name}: a compressed .npz member must be read in order")
            self._read_stream(flat)
            self._stream_rows = hi
        else:
            outer = int(np.prod(file_shape[:faxis], dtype=np.int64))
            inner = int(np.prod(file_shape[faxis + 1:], dtype=np.int64)) * self.dtype.itemsize
            n = file_shape[faxis]
            run = (hi - lo) * inner
            raw = flat.view(np.uint8).reshape(outer, run) if outer and run else None
            assert self._offset is not None
            for o in range(outer if raw is not None else 0):
                assert raw is not None
                self._pread(raw[o], self._offset + (o * n + lo) * inner)
        if self._swap:
            flat.byteswap(inplace=True)
        if self.fortran and len(shape) > 1:
            return flat.reshape(shape[::-1]).T
        return flat.reshape(shape)

    def read_all(self) -> np.ndarray:
        """The whole array, in one read (for small arrays: weights, unbatched inputs)."""
        if self.compressed and self._stream_rows:
            raise ArrayFileError(f"{self.name}: internal: a compressed member read twice")
        flat = np.empty(int(np.prod(self.shape, dtype=np.int64)), self.dtype)
        if self.compressed:
            self._read_stream(flat)
            self._stream_rows = self.shape[0] if self.shape else 1
        elif flat.size:
            assert self._offset is not None
            self._pread(flat.view(np.uint8), self._offset)
        if self._swap:
            flat.byteswap(inplace=True)
        if self.fortran and len(self.shape) > 1:
            return flat.reshape(self.shape[::-1]).T
        return flat.reshape(self.shape)

    def _pread(self, dest: np.ndarray, offset: int) -> None:
        assert self._file is not None
        view = dest.data.cast("B")
        fd = self._file.fileno()
        done = 0
        while done < len(view):
            got = os.preadv(fd, [view[done:]], offset + done)
            if got == 0:
                raise ArrayFileError(f"{self.name}: unexpected end of file (was it truncated while being read?)")
            done += got

    def _read_stream(self, dest: np.ndarray) -> None:
        assert self._stream is not None
        view = dest.data.cast("B")
        done = 0
        try:
            while done < len(view):
                got = self._stream.readinto(view[done:])  # type: ignore[attr-defined]
                if not got:
                    raise ArrayFileError(f"{self.name}: unexpected end of the compressed member")
                done += got
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise ArrayFileError(f"{self.name}: corrupt compressed member ({e})") from None

    def describe(self) -> str:
        """``name (shape) dtype`` for messages."""
        shape = "(" + ", ".join(str(s) for s in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        return f"{self.name} {shape} {self.stored_dtype}"

    def close(self) -> None:
        """Close the file (idempotent)."""
        for obj in (self._stream, self._zip, self._file):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # pragma: no cover - closing after an error
                    pass
        self._stream = self._zip = self._file = None

    def __enter__(self) -> ArrayFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Temporary files that :func:`atomic_path` created and nobody has renamed or removed yet.
#: A name is registered *before* its file is created, so an interrupt (KeyboardInterrupt or the
#: command's SIGTERM exception) at any bytecode cannot leave a file that the registry misses;
#: :func:`remove_live_temps` is the command's last-resort sweep.
_LIVE_TEMPS: set[str] = set()


def atomic_path(path: str) -> str:
    """A fresh temporary file next to ``path`` (same directory, so a rename is atomic), created empty.

    The name keeps ``path``'s extension (``.out.npy.<random>.tmp.npy``) so that tools that
    choose a format by extension (matplotlib's ``savefig``) still do the right thing. The file
    is registered until :func:`release_temp` (after a rename) or :func:`remove_temp`.
    """
    directory, base = os.path.split(os.path.abspath(path))
    if os.path.isdir(path):
        raise ArrayFileError(f"{path}: is a directory; give a file name")
    ext = os.path.splitext(base)[1]
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(8)}.tmp{ext}")
        _LIVE_TEMPS.add(tmp)
        try:
            # 0o666 minus the umask: the mode a plain open() would give the final file.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:  # not ours: forget the name, never delete that file
            _LIVE_TEMPS.discard(tmp)
        except FileNotFoundError:
            _LIVE_TEMPS.discard(tmp)
            raise ArrayFileError(f"{path}: cannot write: directory {directory} does not exist") from None
        except OSError as e:
            _LIVE_TEMPS.discard(tmp)
            raise ArrayFileError(f"{path}: cannot write ({e.strerror or e})") from None
    raise ArrayFileError(f"{path}: cannot create a temporary file next to it")  # pragma: no cover


def release_temp(tmp: str) -> None:
    """Forget ``tmp`` after it has been renamed into place."""
    _LIVE_TEMPS.discard(tmp)


def remove_temp(tmp: str) -> None:
    """Delete the temporary file ``tmp`` (if it exists) and forget it."""
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    _LIVE_TEMPS.discard(tmp)


def remove_live_temps() -> None:
    """Delete every temporary file still registered (the command calls this when it ends)."""
    for tmp in list(_LIVE_TEMPS):
        try:
            remove_temp(tmp)
        except OSError:
            pass


class NpyWriter:
    """Write a ``.npy`` file chunk by chunk along its first axis, atomically.

    ``NpyWriter(path, dtype, shape)`` creates a temporary file in ``path``'s directory and
    writes the header; :meth:`write` appends C-ordered chunks (their rows add up to
    ``shape[0]``); :meth:`commit` checks the size and renames the file to ``path``;
    :meth:`abort` removes it. Leaving a ``with`` block by an exception aborts.
    """

    def __init__(self, path: str, dtype: np.dtype[Any], shape: Sequence[int]) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(s) for s in shape)
        self.tmp: str | None = atomic_path(path)
        self._rows = 0
        self._f: IO[bytes] | None = None
        try:
            self._f = open(self.tmp, "wb")
            header = {"descr": npformat.dtype_to_descr(self.dtype), "fortran_order": False, "shape": self.shape}
            try:
                npformat.write_array_header_1_0(self._f, header)
            except ValueError:  # a header beyond 64 KiB (a very long shape): format 2.0
                self._f.seek(0)
                npformat.write_array_header_2_0(self._f, header)
        except OSError as e:
            self.abort()
            raise ArrayFileError(f"{path}: cannot write ({e.strerror or e})") from None
        except BaseException:  # an interrupt while the header is written: close and remove
            self.abort()
            raise

    def write(self, chunk: np.ndarray) -> None:
        """Append ``chunk`` (the next rows, of the file's dtype and trailing shape)."""
        if self._f is None:
            raise ValueError("NpyWriter.write: the writer is closed")
        if chunk.dtype != self.dtype or chunk.shape[1:] != self.shape[1:]:
            raise ValueError(f"NpyWriter.write: chunk {chunk.shape} {chunk.dtype} does not fit "
                             f"{self.shape} {self.dtype}")
        rows = chunk.shape[0] if chunk.ndim else 1
        if self._rows + rows > (self.shape[0] if self.shape else 1):
            raise ValueError("NpyWriter.write: more rows than the header announces")
        try:
            self._f.write(np.ascontiguousarray(chunk).data)
        except OSError as e:
            raise ArrayFileError(f"{self.path}: write failed ({e.strerror or e})") from None
        self._rows += rows

    def commit(self) -> None:
        """Finish the file and rename it to its final name."""
        if self._f is None or self.tmp is None:
            raise ValueError("NpyWriter.commit: the writer is closed")
        want = self.shape[0] if self.shape else 1
        if self._rows != want:
            raise ValueError(f"NpyWriter.commit: {self._rows} rows written, the header announces {want}")
        try:
            self._f.close()
            self._f = None
            os.replace(self.tmp, self.path)
        except OSError as e:
            self.abort()
            raise ArrayFileError(f"{self.path}: cannot write ({e.strerror or e})") from None
        release_temp(self.tmp)
        self.tmp = None

    def abort(self) -> None:
        """Remove the temporary file (idempotent; nothing happens after :meth:`commit`)."""
        if self._f is not None:
            try:
                self._f.close()
            except OSError:
                pass
        self._f = None
        if self.tmp is not None:
            remove_temp(self.tmp)
            self.tmp = None

    def __enter__(self) -> NpyWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.abort()
