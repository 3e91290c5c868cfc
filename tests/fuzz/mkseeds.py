#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed corpora of the libFuzzer harnesses (corpus/NAME/).

The seeds are committed; run this again after changing an input format:
    tests/fuzz/mkseeds.py
Each file is named for what it holds.  Seeds added by hand (a regression
input from a crash, say) live beside them and are left alone.
"""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, fname, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


# --------------------------------------------------------------- emulate
# Every encoding of tests/unit/test_emulate.c (checked there against GNU as),
# as mode byte (0: 16-bit, 1: 32-bit, 2: 64-bit) + bytes + operand values.
def emulate():
    src = open(os.path.join(HERE, "..", "unit", "test_emulate.c")).read()
    cases = re.finditer(r'\b(ST|LD|OT|AL|MW|XC)\(\s*"([^"]*)",\s*(16|32|64),(.*?)\)\s*,\s*\n',
                        src, re.S)
    values = struct.pack("<QQQ", 0x8000000000000001, 0x00000000ffffffff, 0x8d5)
    n = 0
    for m in cases:
        toks = [t.strip() for t in m.group(4).split(",")]
        code = []
        for t in reversed(toks):
            if not re.fullmatch(r"0x[0-9a-fA-F]{1,2}", t):
                break
            code.insert(0, int(t, 16))
        if not code:
            continue
        mode = {"16": 0, "32": 1, "64": 2}[m.group(3)]
        write("emulate", "%03d-%s" % (n, re.sub(r"[^a-z0-9]+", "_", m.group(2))[:40]),
              bytes([mode]) + bytes(code[:16]).ljust(16, b"\x90") + values)
        n += 1
    return n


# ------------------------------------------------------------ guest_walk
def walk_hdr(cr0, cr3, cr4, efer, gva, pdptrs=(0, 0, 0, 0), maxphy=0,
             access=0, use_pdptrs=0, length=3):
    return struct.pack("<QQQQQ4QBBBB", cr0, cr3, cr4, efer, gva, *pdptrs,
                       maxphy, access, use_pdptrs, length) + b"\0" * 4


def put(mem, off, fmt, *v):
    struct.pack_into(fmt, mem, off, *v)


def guest_walk():
    PG, PE, WP = 1 << 31, 1, 1 << 16
    PSE, PAE = 1 << 4, 1 << 5
    LMA, NXE = 1 << 10, 1 << 11
    # Paging off.
    write("guest_walk", "paging-off", walk_hdr(PE, 0, 0, 0, 0x1234) + bytes(64))
    # 32-bit paging: PD at 0x1000, PT at 0x2000, 4 KiB pages; a 4 MiB page.
    mem = bytearray(0x3000)
    put(mem, 0x1000, "<I", 0x2007)
    put(mem, 0x1000 + 4, "<I", 0x00400087)
    for i in range(16):
        put(mem, 0x2000 + 4 * i, "<I", (i << 12) | 7)
    write("guest_walk", "32bit-4k", walk_hdr(PG | PE | WP, 0x1000, PSE, 0, 0x3ff0) + mem)
    write("guest_walk", "32bit-4m", walk_hdr(PG | PE, 0x1000, PSE, 0, 0x400ff0, access=2) + mem)
    # PAE: the PDPTEs given, PD at 0x1000 with a 2 MiB page and a PT.
    mem = bytearray(0x3000)
    put(mem, 0x1000, "<Q", 0x2007)
    put(mem, 0x1008, "<Q", 0x200087)
    for i in range(16):
        put(mem, 0x2000 + 8 * i, "<Q", (i << 12) | 7)
    write("guest_walk", "pae", walk_hdr(PG | PE, 0, PAE, 0, 0x2ff8,
                                        pdptrs=(0x1001, 0, 0, 0), use_pdptrs=1) + mem)
    write("guest_walk", "pae-cr3", walk_hdr(PG | PE, 0x20, PAE, 0, 0x201000) +
          struct.pack("<4Q", 0x1001, 0, 0, 0) + mem[32:])
    # 4-level: PML4 0x1000, PDPT 0x2000, PD 0x3000 (2 MiB page, PT 0x4000).
    mem = bytearray(0x5000)
    put(mem, 0x1000, "<Q", 0x2007)
    put(mem, 0x2000, "<Q", 0x3007)
    put(mem, 0x2008, "<Q", 0x40000087)     # 1 GiB page
    put(mem, 0x3000, "<Q", 0x4007)
    put(mem, 0x3008, "<Q", 0x200087 | (1 << 63))
    for i in range(16):
        put(mem, 0x4000 + 8 * i, "<Q", (i << 12) | 7)
    hdr = lambda gva, acc=0: walk_hdr(PG | PE | WP, 0x1000, PAE, LMA | NXE, gva,
                                      maxphy=46, access=acc)
    write("guest_walk", "long-4k", hdr(0xff8) + mem)
    write("guest_walk", "long-2m-nx-fetch", hdr(0x200ff0, 0x10) + mem)
    write("guest_walk", "long-1g", hdr(0x40000ff0, 0x6) + mem)
    write("guest_walk", "long-noncanonical", hdr(0x0000800000000000) + mem)


# ------------------------------------------------------------------- tss
def desc(base, limit, access, flags):
    return (limit & 0xffff) | (base & 0xffffff) << 16 | access << 40 | \
        ((limit >> 16) & 0xf) << 48 | (flags & 0xf) << 52 | (base >> 24) << 56


def tss():
    tss32 = bytearray(0x68)
    put(tss32, 0x20, "<II", 0x1000, 0x202)
    for i, sel in enumerate((0x10, 0x08, 0x10, 0x10, 0x10, 0x10)):
        put(tss32, 0x48 + 4 * i, "<H", sel)
    tss16 = bytearray(0x2c)
    put(tss16, 0x0e, "<HH", 0x100, 0x2)
    for src in range(4):
        write("tss", "tss32-source%d" % src,
              struct.pack("<QQHBBBBBB", desc(0x3000, 0x67, 0x89 | (2 if src == 1 else 0), 0),
                          desc(0, 0xfffff, 0x9b, 0xc), 0x28, src, 0, 1, 0, 1, 0) + tss32)
    write("tss", "tss16", struct.pack("<QQHBBBBBB", desc(0x3000, 0x2b, 0x81, 0),
                                      desc(0, 0xffff, 0x93, 0), 0x10, 2, 1, 2, 0, 0, 0) + tss16)
    write("tss", "ldt", struct.pack("<QQHBBBBBB", desc(0x3000, 0x67, 0x89, 0),
                                    desc(0x5000, 0xff, 0x82, 0), 0x38, 3, 0, 6, 0, 1, 0) + tss32)


# ---------------------------------------------------------------- loader
KERNEL = 0x100000


def elf(cls, entry, segs, machine=None):
    """An x86 executable: headers, then each segment's bytes."""
    if cls == 32:
        ehsz, phsz = 52, 32
    else:
        ehsz, phsz = 64, 56
    off = ehsz + phsz * len(segs)
    phdrs, body = b"", b""
    for paddr, data, memsz in segs:
        if cls == 32:
            phdrs += struct.pack("<8I", 1, off + len(body), paddr, paddr,
                                 len(data), memsz, 7, 0x1000)
        else:
            phdrs += struct.pack("<IIQQQQQQ", 1, 7, off + len(body), paddr,
                                 paddr, len(data), memsz, 0x1000)
        body += data
    ident = b"\x7fELF" + bytes([1 if cls == 32 else 2, 1, 1]) + b"\0" * 9
    if cls == 32:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, machine or 3, 1, entry,
                                 ehsz, 0, 0, ehsz, phsz, len(segs), 0, 0, 0)
    else:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine or 62, 1, entry,
                                 ehsz, 0, 0, ehsz, phsz, len(segs), 0, 0, 0)
    return eh + phdrs + body


def mb_header(flags, aout=None):
    magic = 0x1BADB002
    h = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xffffffff)
    if aout:
        h += struct.pack("<5I", *aout)
    return h


def loader_input(fmt, ramsel, image, cmdline=b"", mods=()):
    out = bytes([fmt, ramsel, len(mods), len(cmdline)]) + cmdline
    for m in mods:
        out += struct.pack("<H", len(m)) + m
    return out + image


def loader():
    code = b"\xfa\xf4" + b"\x90" * 14
    # format: 0 auto, 1 flat, 2 ELF32, 3 ELF64, 4 multiboot; RAM 5 = 2 MiB
    write("loader", "elf32", loader_input(2, 5, elf(32, KERNEL, [(KERNEL, code, 0x2000)])))
    write("loader", "elf64", loader_input(3, 5, elf(64, KERNEL, [(KERNEL, code, 0x100),
                                                                (KERNEL + 0x2000, code, 0x1000)])))
    write("loader", "elf-auto", loader_input(0, 6, elf(64, KERNEL, [(KERNEL, code, 0x100)])))
    mb = mb_header(3) + code
    write("loader", "multiboot-elf", loader_input(4, 5, elf(32, KERNEL, [(KERNEL, mb, 0x1000)]),
                                                  b"console=ttyS0 quiet", (b"module zero", b"")))
    aout = mb_header(0x10003, (KERNEL, KERNEL, 0, KERNEL + 0x2000, KERNEL + 0x20)) + code
    write("loader", "multiboot-aout", loader_input(0, 5, aout, b"x" * 40,
                                                   (b"m" * 100, b"n" * 3, b"")))
    write("loader", "flat", loader_input(1, 2, code * 4))
    write("loader", "elf32-small-ram", loader_input(2, 1, elf(32, KERNEL, [(KERNEL, code, 0x2000)])))


# --------------------------------------------------------------- bzimage
# Input: format|RAM-size byte, command line length, initrd length (2
# bytes), command line, initrd, image (fuzz_bzimage.c).  The images are
# made up the way tests/unit/test_linux.c makes them: a bzImage with the
# setup header of a 64-bit 6.x kernel at protocols 2.12 to 2.15, and an
# ELF vmlinux with Xen's PVH entry note.
def bz_image(version, setup_sects=4, pm_size=0x1000, init_size=0x100000,
             pref=0x100000, align=0x200000, kinfo=True):
    setup = (setup_sects + 1) * 512
    img = bytearray(setup + pm_size)
    img[0x1f1] = setup_sects
    put(img, 0x1fe, "<H", 0xaa55)
    img[0x200] = 0xeb
    img[0x201] = 0x6a                           # the header ends at 0x26c
    put(img, 0x202, "<IH", 0x53726448, version)  # "HdrS"
    put(img, 0x20e, "<H", 0x200)                # kernel_version
    img[0x211] = 0x01                           # loadflags: LOADED_HIGH
    put(img, 0x1f4, "<I", pm_size // 16)        # syssize
    put(img, 0x214, "<I", 0x100000)             # code32_start
    put(img, 0x22c, "<II", 0x7fffffff, align)   # initrd_addr_max, alignment
    img[0x234] = 1                              # relocatable_kernel
    img[0x235] = 21                             # min_alignment
    put(img, 0x236, "<H", 0x3)                  # XLF_KERNEL_64 | above 4G
    put(img, 0x238, "<I", 2047)                 # cmdline_size
    put(img, 0x248, "<II", 0x100, 0x800)        # payload offset, length
    put(img, 0x258, "<QI", pref, init_size)     # pref_address, init_size
    if kinfo and version >= 0x20f:
        put(img, 0x264, "<I", 0x400)            # kernel_info_offset
        put(img, setup + 0x400, "<III", 0x506f544c, 16, 16)  # "LToP"
    for i in range(setup + 0x500, len(img)):
        img[i] = (0x5a ^ (i * 7)) & 0xff
    return bytes(img)


def pvh_image(entry=0x100000):
    ph = 64
    seg_off, seg_size = 0x1000, 0x800
    note_off = ph + 3 * 56
    notes = struct.pack("<III4s8s", 4, 6, 6, b"Xen\0", b"linux\0\0\0")
    notes += struct.pack("<III4sQ", 4, 8, 18, b"Xen\0", entry)  # PHYS32_ENTRY
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0xffffffff81000000,
                        ph, 0, 0, 64, 56, 3, 0, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 7, seg_off, 0xffffffff81000000,
                       entry, seg_size, seg_size + 0x1000, 0x1000)
    note = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes),
                       len(notes), 4)
    null = bytes(56)
    img = bytearray(seg_off + seg_size)
    img[0:len(ehdr)] = ehdr
    img[ph:ph + 168] = load + note + null
    img[note_off:note_off + len(notes)] = notes
    for i in range(seg_size):
        img[seg_off + i] = (0x5a ^ (i * 7)) & 0xff
    return bytes(img)


def bz_input(fmt, ram_index, image, cmdline=b"", initrd=b""):
    return (bytes([fmt | ram_index << 5, len(cmdline)]) +
            struct.pack("<H", len(initrd)) + cmdline + initrd + image)


def bzimage():
    n = 0
    # ram_index: 1 MiB, 2, 4, 8, 17, 18, 24, 32 MiB (fuzz_bzimage.c)
    for v in (0x20c, 0x20d, 0x20e, 0x20f):
        write("bzimage", "%x-auto-8m" % v, bz_input(0, 3, bz_image(v)))
        n += 1
    write("bzimage", "20f-initrd-cmdline", bz_input(
        1, 3, bz_image(0x20f), b"console=ttyS0 quiet", b"\x07" * 300))
    write("bzimage", "20f-16m-kernel-17m", bz_input(
        1, 4, bz_image(0x20f, pref=0x1000000, init_size=0x80000), b"", b"rd"))
    write("bzimage", "20b-too-old", bz_input(1, 3, bz_image(0x20b)))
    write("bzimage", "20f-setup-sects-0-truncated", bz_input(
        0, 3, bz_image(0x20f, setup_sects=0) + bytes(0)))
    write("bzimage", "pvh-auto", bz_input(0, 3, pvh_image()))
    write("bzimage", "pvh-initrd-cmdline", bz_input(
        2, 3, pvh_image(), b"console=hvc0", b"\x01" * 64))
    return n + 6


if __name__ == "__main__":
    n = emulate()
    guest_walk()
    tss()
    loader()
    bzimage()
    print("mkseeds: %d emulate seeds and the others written" % n)
