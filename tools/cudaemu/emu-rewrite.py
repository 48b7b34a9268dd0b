#!/usr/bin/env python3
"""tools/cudaemu/emu-rewrite.py SRC_DIR OUT_DIR: copies src/backend/cuda's .cu and .cuh files to OUT_DIR as C++ for
the CPU emulation (run-backend-emu.sh, fiberemu.h), changing only what C++ cannot compile: kernel launches
k<<<g, b[, smem[, stream]]>>>(args) become emu_launch("k", k, g, b[, smem[, stream]])(args); extern __shared__ arrays
become pointers to the block's dynamic shared memory; static __shared__ arrays become static arrays poisoned per
block (EMU_SHARED); convdirect.cu's cp.async inline PTX becomes the emulator's deferred copies. Anything else the
compiler cannot take (another asm, a launch this does not recognise) fails the build, never silently."""
import os, re, sys

src, out = sys.argv[1], sys.argv[2]
LAUNCH = re.compile(r'\b([A-Za-z_]\w*(?:<[^<>;(){}]*>)?)\s*<<<(.*?)>>>\s*\(')
EXTERN_SH = re.compile(r'extern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s*)?(\w+)\s+(\w+)\s*\[\s*\]\s*;')
STATIC_SH = re.compile(r'__shared__\s+((?:__align__\(\s*\d+\s*\)\s*)?[\w:]+)\s+(\w+)\s*((?:\[[^\]]*\])+)\s*;')
CP_ASYNC = re.compile(r'asm\s+volatile\s*\(\s*"cp\.async\.ca\.shared\.global \[%0\], \[%1\], 8;\\n"\s*::\s*"r"\(s\),\s*"l"\(src\)\s*:\s*"memory"\s*\)\s*;')
CP_COMMIT = re.compile(r'asm\s+volatile\s*\(\s*"cp\.async\.commit_group;\\n"\s*:::\s*"memory"\s*\)\s*;')
CP_WAIT = re.compile(r'asm\s+volatile\s*\(\s*"cp\.async\.wait_all;\\n"\s*:::\s*"memory"\s*\)\s*;')

total = 0
for name in sorted(os.listdir(src)):
    if not (name.endswith('.cu') or name.endswith('.cuh')):
        continue
    text = open(os.path.join(src, name)).read()
    text, nl = LAUNCH.subn(lambda m: 'emu_launch("%s", %s, %s)(' % (m.group(1), m.group(1), m.group(2)), text)
    text, ne = EXTERN_SH.subn(lambda m: '%s *%s = (%s *)emu_dynsmem();' % (m.group(1), m.group(2), m.group(1)), text)
    text, ns = STATIC_SH.subn(lambda m: 'static %s %s%s; EMU_SHARED(%s);' % (m.group(1), m.group(2), m.group(3), m.group(2)), text)
    text, n1 = CP_ASYNC.subn('(void)s; emu_cp_async8(dst, src);', text)
    text, n2 = CP_COMMIT.subn('emu_cp_async_commit();', text)
    text, n3 = CP_WAIT.subn('emu_cp_async_wait_all();', text)
    # comments may mention <<<, asm or __shared__: only code counts
    code = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    code = re.sub(r'//[^\n]*', '', code)
    for bad in ('<<<', 'asm ', 'asm(', '__shared__'):
        if bad in code:
            sys.exit('emu-rewrite.py: %s: "%s" left after the rewrite' % (name, bad))
    dst = os.path.join(out, name[:-3] + '.cpp' if name.endswith('.cu') else name)
    open(dst, 'w').write('#include <cuda_runtime.h> /* the emulator (tools/cudaemu/shim) before anything else */\n#line 1 "%s"\n' % os.path.join(src, name) + text if name.endswith('.cu') else text)
    print('%-16s %2d launches, %d extern __shared__, %d __shared__, %d cp.async' % (name, nl, ne, ns, n1 + n2 + n3))
    total += nl
print('%d launches rewritten' % total)
