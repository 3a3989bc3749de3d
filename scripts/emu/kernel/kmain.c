/* Minimal single-process "Linux ABI" kernel for running one static x86_64
   binary under Bochs. AVX-512 is executed by Bochs; AMX-INT8 is emulated
   here on #UD. stdout -> COM1, stderr -> COM2, kernel messages -> COM3.
   Also: cooperative threads (clone/futex, switched only at blocking syscalls),
   a flat RAM file system (files vanish at exit), argv/environment modules. */
typedef unsigned long u64; typedef long s64; typedef unsigned int u32; typedef int s32;
typedef unsigned short u16; typedef unsigned char u8; typedef signed char s8;

struct frame {
  u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
  u64 vector, err, rip, cs, rflags, rsp, ss;
};

extern u64 gdt[]; extern char kstack_top[]; extern void syscall_entry(void);
extern void enter_user(u64 entry, u64 stack) __attribute__((noreturn));
extern char _kernel_end[];
#define DECL(n) extern void exc##n(void);
DECL(0)DECL(1)DECL(2)DECL(3)DECL(4)DECL(5)DECL(6)DECL(7)DECL(8)DECL(9)DECL(10)DECL(11)DECL(12)DECL(13)DECL(14)DECL(15)DECL(16)
DECL(17)DECL(18)DECL(19)DECL(20)DECL(21)DECL(22)DECL(23)DECL(24)DECL(25)DECL(26)DECL(27)DECL(28)DECL(29)DECL(30)DECL(31)
static void (*exc_tab[32])(void) = {exc0,exc1,exc2,exc3,exc4,exc5,exc6,exc7,exc8,exc9,exc10,exc11,exc12,exc13,exc14,exc15,exc16,
  exc17,exc18,exc19,exc20,exc21,exc22,exc23,exc24,exc25,exc26,exc27,exc28,exc29,exc30,exc31};

static inline void outb(u16 p, u8 v) { __asm__ volatile("outb %0,%1"::"a"(v),"Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0,%1"::"a"(v),"Nd"(p)); }
static inline u8 inb(u16 p) { u8 v; __asm__ volatile("inb %1,%0":"=a"(v):"Nd"(p)); return v; }
static inline u64 rdmsr(u32 m) { u32 lo, hi; __asm__ volatile("rdmsr":"=a"(lo),"=d"(hi):"c"(m)); return ((u64)hi<<32)|lo; }
static inline void wrmsr(u32 m, u64 v) { __asm__ volatile("wrmsr"::"c"(m),"a"((u32)v),"d"((u32)(v>>32))); }
static inline void cpuid(u32 l, u32 s, u32 *a, u32 *b, u32 *c, u32 *d) { __asm__ volatile("cpuid":"=a"(*a),"=b"(*b),"=c"(*c),"=d"(*d):"a"(l),"c"(s)); }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc":"=a"(lo),"=d"(hi)); return ((u64)hi<<32)|lo; }

void *memset(void *d, int c, u64 n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, u64 n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }
void *memmove(void *d, const void *s, u64 n) {
  u8 *p = d; const u8 *q = s;
  if (p < q) while (n--) *p++ = *q++; else { p += n; q += n; while (n--) *--p = *--q; }
  return d; }
static void zero_fast(void *d, u64 n) { u64 q = n >> 3, r = n & 7; __asm__ volatile("rep stosq":"+D"(d),"+c"(q):"a"(0):"memory"); __asm__ volatile("rep stosb":"+D"(d),"+c"(r):"a"(0):"memory"); }
static void copy_fast(void *d, const void *s, u64 n) { __asm__ volatile("rep movsb":"+D"(d),"+S"(s),"+c"(n)::"memory"); }
static u64 kstrlen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }

static const u16 ports[3] = {0x3F8, 0x2F8, 0x3E8};
static void ser_init(u16 b) { outb(b+1,0); outb(b+3,0x80); outb(b,1); outb(b+1,0); outb(b+3,3); outb(b+2,0xC7); outb(b+4,3); }
static void ser_putc(int ch, u8 c) { u16 b = ports[ch]; while (!(inb(b+5) & 0x20)) ; outb(b, c); }
static void ser_write(int ch, const char *s, u64 n) { while (n--) ser_putc(ch, (u8)*s++); }
static void kputs(const char *s) { ser_write(2, s, kstrlen(s)); }
static void kputx(u64 v) { char b[19]; b[0]='0'; b[1]='x'; for (int i=0;i<16;i++) b[2+i]="0123456789abcdef"[(v>>(60-4*i))&15]; b[18]=0; kputs(b); }
static void kputd(s64 v) { char b[24]; int i = 23; b[i] = 0; int neg = v < 0; u64 u = neg ? -(u64)v : (u64)v;
  do { b[--i] = '0' + u % 10; u /= 10; } while (u); if (neg) b[--i] = '-'; kputs(b + i); }

static void power_off(void) __attribute__((noreturn));
static void power_off(void) {
  for (int i = 0; i < 3; i++) { for (int k = 0; k < 100000 && !(inb(ports[i]+5) & 0x40); k++) ; }
  outw(0xB004, 0x2000);          /* Bochs ACPI PM1a_CNT: soft off */
  outw(0x604, 0x2000);
  /* fallback: triple fault */
  struct { u16 l; u64 b; } __attribute__((packed)) nidt = {0, 0};
  __asm__ volatile("lidt %0; int3" :: "m"(nidt));
  for (;;) __asm__ volatile("cli; hlt");
}
static void do_exit(int code, const char *why) __attribute__((noreturn));
static void do_exit(int code, const char *why) {
  kputs("\n@@EMU_EXIT "); kputd(code & 0xff); kputs(" "); kputs(why); kputs("\n");
  power_off();
}

/* ---------------- memory layout ---------------- */
#define BRK_LIMIT   0x10000000UL
#define MMAP_BASE   0x10000000UL
#define MMAP_LIMIT  0x2F000000UL
#define STACK_TOP   0x2FFF0000UL
#define MOD_COPY    0x30000000UL
#define RAMFS_BASE  0x34000000UL   /* file contents: above the program copy */
#define RAMFS_LIMIT 0x3E000000UL
#define TAREA       0x3E000000UL   /* per-thread saved vector and tile state */
static u64 brk_start, brk_cur, mmap_cur = MMAP_BASE, last_map_addr, last_map_len;
static u64 fs_base_v, gs_base_v, rnd_state = 0x9E3779B97F4A7C15UL;
static u64 rnd(void) { rnd_state ^= rnd_state << 13; rnd_state ^= rnd_state >> 7; rnd_state ^= rnd_state << 17; return rnd_state; }

/* ---------------- AMX emulation ---------------- */
static struct { u8 palette, start_row; u16 colsb[8]; u8 rows[8]; } tcfg;
static u8 tiles[8][16][64] __attribute__((aligned(64)));
static u64 amx_count;

static u64 *gpr(struct frame *f, int r) {
  switch (r) { case 0: return &f->rax; case 1: return &f->rcx; case 2: return &f->rdx; case 3: return &f->rbx;
    case 4: return &f->rsp; case 5: return &f->rbp; case 6: return &f->rsi; case 7: return &f->rdi;
    case 8: return &f->r8; case 9: return &f->r9; case 10: return &f->r10; case 11: return &f->r11;
    case 12: return &f->r12; case 13: return &f->r13; case 14: return &f->r14; default: return &f->r15; }
}
static int tile_ok(int t) { return tcfg.palette == 1 && t < 8 && tcfg.rows[t] && tcfg.colsb[t]; }

/* One decoded VEX.0F38 W0 L0 instruction: opcode, VEX fields, ModRM, memory operand
   (segment base included), SIB index as the row stride, instruction length. */
struct amx_op { u8 op, modrm; int R, B, vvvv, pp, mod; u64 ea, stride, len; };

/* Decodes the instruction at f->rip into o; returns 0 when it is no AMX encoding. */
static int amx_decode(struct frame *f, struct amx_op *o) {
  const u8 *p = (const u8 *)f->rip; u64 segbase = 0;
  for (;;) {
    if (*p == 0x64) { segbase = fs_base_v; p++; }
    else if (*p == 0x65) { segbase = gs_base_v; p++; }
    else if (*p == 0x2e || *p == 0x3e || *p == 0x26 || *p == 0x36) p++;
    else break;
  }
  if (p[0] != 0xC4) return 0;
  u8 b1 = p[1], b2 = p[2];
  if ((b1 & 0x1f) != 2) return 0;                  /* map 0F38 */
  if (b2 & 0x80) return 0;                         /* W0 */
  if (b2 & 0x04) return 0;                         /* L0 */
  int R = !(b1 & 0x80), X = !(b1 & 0x40), B = !(b1 & 0x20);
  int vvvv = (~b2 >> 3) & 15, pp = b2 & 3;
  u8 op = p[3], modrm = p[4];
  int mod = modrm >> 6, rm = (modrm & 7) | (B << 3);
  const u8 *q = p + 5; u64 ea = 0; u64 stride = 0;
  if (mod != 3) {
    int rmlow = modrm & 7;
    if (rmlow == 4) {
      u8 sib = *q++; int ss = sib >> 6, idx = ((sib >> 3) & 7) | (X << 3), base = (sib & 7) | (B << 3);
      if ((sib & 7) == 5 && mod == 0) { ea = (u64)(s64)*(const s32 *)q; q += 4; }
      else ea = *gpr(f, base);
      if (idx != 4) stride = *gpr(f, idx) << ss;
    } else if (rmlow == 5 && mod == 0) {
      return 0; /* rip-relative not used by AMX code paths; treat as unsupported */
    } else ea = *gpr(f, rm);
    if (mod == 1) { ea += (u64)(s64)*(const s8 *)q; q += 1; }
    else if (mod == 2) { ea += (u64)(s64)*(const s32 *)q; q += 4; }
    ea += segbase;
  }
  o->op = op; o->modrm = modrm; o->R = R; o->B = B; o->vvvv = vvvv; o->pp = pp; o->mod = mod;
  o->ea = ea; o->stride = stride; o->len = (u64)(q - (const u8 *)f->rip);
  return 1;
}

/* Opcode 49: LDTILECFG, STTILECFG, TILERELEASE, TILEZERO; returns 1 if emulated. */
static int amx_tilecfg(const struct amx_op *o) {
  int pp = o->pp, mod = o->mod, vvvv = o->vvvv; u8 modrm = o->modrm;
  if (pp == 0 && mod != 3 && ((modrm >> 3) & 7) == 0 && vvvv == 0) {         /* LDTILECFG */
    const u8 *c = (const u8 *)o->ea;
    if (c[0] == 0) { memset(&tcfg, 0, sizeof tcfg); memset(tiles, 0, sizeof tiles); }
    else if (c[0] == 1) {
      for (int i = 2; i < 16; i++) if (c[i]) return 0;
      for (int i = 0; i < 8; i++) {
        u16 cb = c[16+2*i] | (c[17+2*i] << 8); u8 r = c[48+i];
        if (cb > 64 || r > 16 || (!cb) != (!r)) return 0;
      }
      memset(&tcfg, 0, sizeof tcfg); memset(tiles, 0, sizeof tiles);
      tcfg.palette = 1; tcfg.start_row = 0;
      for (int i = 0; i < 8; i++) { tcfg.colsb[i] = c[16+2*i] | (c[17+2*i] << 8); tcfg.rows[i] = c[48+i]; }
    } else return 0;
  } else if (pp == 1 && mod != 3 && ((modrm >> 3) & 7) == 0 && vvvv == 0) {  /* STTILECFG */
    u8 *c = (u8 *)o->ea; memset(c, 0, 64);
    if (tcfg.palette) { c[0] = tcfg.palette; c[1] = tcfg.start_row;
      for (int i = 0; i < 8; i++) { c[16+2*i] = tcfg.colsb[i] & 0xff; c[17+2*i] = tcfg.colsb[i] >> 8; c[48+i] = tcfg.rows[i]; } }
  } else if (pp == 0 && modrm == 0xC0 && vvvv == 0) {                        /* TILERELEASE */
    memset(&tcfg, 0, sizeof tcfg); memset(tiles, 0, sizeof tiles);
  } else if (pp == 3 && mod == 3 && (modrm & 7) == 0 && vvvv == 0) {         /* TILEZERO */
    int t = (modrm >> 3) & 7; if (o->R || !tile_ok(t)) return 0;
    memset(tiles[t], 0, sizeof tiles[t]);
  } else return 0;
  return 1;
}

/* Opcode 4B: TILELOADD[T1], TILESTORED (row r at ea + r * stride); returns 1 if emulated. */
static int amx_tileldst(const struct amx_op *o) {
  if (o->mod == 3 || (o->modrm & 7) != 4 || o->vvvv != 0 || o->R) return 0;
  int t = (o->modrm >> 3) & 7; if (!tile_ok(t)) return 0;
  int rows = tcfg.rows[t], cb = tcfg.colsb[t]; u64 ea = o->ea, stride = o->stride;
  if (o->pp == 3 || o->pp == 1) {                                            /* TILELOADD / T1 */
    memset(tiles[t], 0, sizeof tiles[t]);
    for (int r = 0; r < rows; r++) copy_fast(tiles[t][r], (const u8 *)(ea + r * stride), cb);
  } else if (o->pp == 2) {                                                   /* TILESTORED */
    for (int r = 0; r < rows; r++) copy_fast((u8 *)(ea + r * stride), tiles[t][r], cb);
  } else return 0;
  return 1;
}

/* Opcode 5E: TDPB[SU][SU]D, dst += a . b over byte quads; returns 1 if emulated. */
static int amx_dotprod(const struct amx_op *o) {
  int pp = o->pp, vvvv = o->vvvv; u8 modrm = o->modrm;
  if (o->mod != 3 || o->R || o->B || vvvv > 7) return 0;
  int d = (modrm >> 3) & 7, a = modrm & 7, b = vvvv;
  if (d == a || d == b || a == b || !tile_ok(d) || !tile_ok(a) || !tile_ok(b)) return 0;
  int M = tcfg.rows[d], N = tcfg.colsb[d] / 4, K = tcfg.colsb[a] / 4;
  if ((tcfg.colsb[d] & 3) || (tcfg.colsb[a] & 3) || (tcfg.colsb[b] & 3)) return 0;
  if (tcfg.rows[a] != M || tcfg.rows[b] != K || tcfg.colsb[b] / 4 != N) return 0;
  int asig = (pp == 3 || pp == 2), bsig = (pp == 3 || pp == 1); /* F2:ss F3:su 66:us NP:uu */
  for (int m = 0; m < M; m++) {
    s32 *crow = (s32 *)tiles[d][m];
    for (int k = 0; k < K; k++) {
      const u8 *av = &tiles[a][m][4*k];
      for (int n = 0; n < N; n++) {
        const u8 *bv = &tiles[b][k][4*n];
        s32 acc = 0;
        for (int i = 0; i < 4; i++) {
          s32 x = asig ? (s32)(s8)av[i] : (s32)av[i];
          s32 y = bsig ? (s32)(s8)bv[i] : (s32)bv[i];
          acc += x * y;
        }
        crow[n] = (s32)((u32)crow[n] + (u32)acc);
      }
    }
    for (int n = N; n < 16; n++) crow[n] = 0;
  }
  for (int m = M; m < 16; m++) memset(tiles[d][m], 0, 64);
  return 1;
}

/* #UD handler for AMX: decode, run the instruction group, step over it; returns 1 if emulated */
static int amx_emulate(struct frame *f) {
  struct amx_op o; int ok;
  if (!amx_decode(f, &o)) return 0;
  if (o.op == 0x49) ok = amx_tilecfg(&o);
  else if (o.op == 0x4B) ok = amx_tileldst(&o);
  else if (o.op == 0x5E) ok = amx_dotprod(&o);
  else ok = 0;
  if (!ok) return 0;
  f->rip += o.len; amx_count++;
  return 1;
}

/* ---------------- CPUID / XGETBV patch emulation ---------------- */
#define MAXP 4096
static u64 pcpuid[MAXP], pxgetbv[MAXP]; static int npcpuid, npxgetbv;
static u64 xcr0_real;
static int in_list(const u64 *l, int n, u64 a) { for (int i = 0; i < n; i++) if (l[i] == a) return 1; return 0; }
static int patch_emulate(struct frame *f) {
  const u8 *p = (const u8 *)f->rip;
  if (p[0] != 0x0F || p[1] != 0x0B) return 0;
  if (npcpuid && in_list(pcpuid, npcpuid, f->rip)) {
    u32 leaf = (u32)f->rax, sub = (u32)f->rcx, a, b, c, d;
    cpuid(leaf, sub, &a, &b, &c, &d);
    if (leaf == 0 && a < 0x1E) a = 0x1E;
    else if (leaf == 7 && sub == 0) d |= (1u << 24) | (1u << 25);            /* AMX-TILE, AMX-INT8 */
    else if (leaf == 0xD && sub == 0) { a |= 0x60000; b = 2816 + 8192; c = 2816 + 8192; }
    else if (leaf == 0xD && sub == 1) { a |= (1u << 4); }                     /* XFD */
    else if (leaf == 0xD && sub == 17) { a = 64; b = 2752; c = 0; d = 0; }
    else if (leaf == 0xD && sub == 18) { a = 8192; b = 2816; c = 6; d = 0; }
    else if (leaf == 0x1D) { if (sub == 0) { a = 1; b = c = d = 0; } else if (sub == 1) { a = 8192 | (1024u << 16); b = 64 | (8u << 16); c = 16; d = 0; } else a = b = c = d = 0; }
    else if (leaf == 0x1E) { a = 0; b = sub == 0 ? (16 | (64u << 8)) : 0; c = d = 0; }
    f->rax = a; f->rbx = b; f->rcx = c; f->rdx = d; f->rip += 2; return 1;
  }
  if (npxgetbv && in_list(pxgetbv, npxgetbv, f->rip) && p[2] == 0x90) {
    u32 idx = (u32)f->rcx; u64 v;
    if (idx == 0) v = xcr0_real | 0x60000; else if (idx == 1) { u32 lo, hi; __asm__ volatile("xgetbv":"=a"(lo),"=d"(hi):"c"(1)); v = ((u64)hi << 32) | lo; }
    else return 0;
    f->rax = (u32)v; f->rdx = v >> 32; f->rip += 3; return 1;
  }
  return 0;
}
static u64 parse_hex(const char **pp) { const char *p = *pp; u64 v = 0;
  for (;; p++) { char ch = *p; int d;
    if (ch >= '0' && ch <= '9') d = ch - '0'; else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10; else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10; else break;
    v = v * 16 + d; }
  *pp = p; return v; }
static void apply_patches(const char *t, u64 n) {
  static char buf[65536]; if (n > sizeof buf - 1) n = sizeof buf - 1; memcpy(buf, t, n); buf[n] = 0;
  const char *p = buf; int bad = 0;
  while (*p) {
    char kind = *p; if (kind != 'c' && kind != 'x') { while (*p && *p != '\n') p++; if (*p) p++; continue; }
    p++; while (*p == ' ') p++;
    u64 a = parse_hex(&p);
    u8 *m = (u8 *)a;
    if (a >= 0x200000 && a < brk_start) {
      if (kind == 'c' && m[0] == 0x0F && m[1] == 0xA2 && npcpuid < MAXP) { m[1] = 0x0B; pcpuid[npcpuid++] = a; }
      else if (kind == 'x' && m[0] == 0x0F && m[1] == 0x01 && m[2] == 0xD0 && npxgetbv < MAXP) { m[1] = 0x0B; m[2] = 0x90; pxgetbv[npxgetbv++] = a; }
      else bad++;
    } else bad++;
    while (*p && *p != '\n') p++; if (*p) p++;
  }
  kputs("[emu] patched cpuid sites="); kputd(npcpuid); kputs(" xgetbv sites="); kputd(npxgetbv); kputs(" rejected="); kputd(bad); kputs("\n");
}

/* ---------------- exceptions ---------------- */
static const char *exc_names[] = {"#DE","#DB","NMI","#BP","#OF","#BR","#UD","#NM","#DF","CSO","#TS","#NP","#SS","#GP","#PF","?","#MF","#AC","#MC","#XM","#VE"};
void exception_dispatch(struct frame *f) {
  if (f->vector == 6 && (f->cs & 3) == 3 && (patch_emulate(f) || amx_emulate(f))) return;
  u64 cr2; __asm__ volatile("mov %%cr2,%0":"=r"(cr2));
  kputs("\n[emu] fatal exception "); kputs(f->vector < 21 ? exc_names[f->vector] : "?");
  kputs(" vec="); kputd(f->vector); kputs(" err="); kputx(f->err); kputs(" rip="); kputx(f->rip);
  kputs(" rsp="); kputx(f->rsp); kputs(" cr2="); kputx(cr2); kputs((f->cs & 3) ? " (user)\n" : " (KERNEL)\n");
  if (f->vector == 6) { const u8 *b = (const u8 *)f->rip; kputs("[emu] bytes at rip:");
    for (int i = 0; i < 12; i++) { kputs(" "); kputx(b[i]); } kputs("\n"); }
  int sig = 11;
  if (f->vector == 6) sig = 4; else if (f->vector == 0 || f->vector == 16 || f->vector == 19) sig = 8; else if (f->vector == 3 || f->vector == 1) sig = 5;
  do_exit(128 + sig, "killed-by-signal");
}

#define ENOENT 2
#define EBADF 9
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOTTY 25
#define ESPIPE 29
#define ENOSYS 38

/* ---------------- cooperative threads ----------------
   There is no timer: a thread runs until it blocks (futex wait, yield, sleep, exit). That
   suffices for pthread pools that spin briefly and then sleep on a futex, and for joins.
   A switch saves the general registers (the syscall frame), FS base, the vector state
   (XSAVE) and the emulated AMX tiles, so each thread keeps its own. */
#define MAXT 16
enum { T_FREE, T_RUN, T_WAIT, T_DEAD };
struct thread { int state, tid, timed; u64 fs, wait_addr, clear_tid; struct frame f; };
struct tsave { u8 xs[4096]; u8 cfg[sizeof tcfg]; u8 tl[sizeof tiles]; } __attribute__((aligned(64)));
static struct thread thr[MAXT] = {{T_RUN, 1}};
static int cur, next_tid = 2;
static struct tsave *tsave(int n) { return (struct tsave *)TAREA + n; }
static void xsave_to(u8 *p) { __asm__ volatile("xsave64 (%0)" :: "r"(p), "a"(~0u), "d"(~0u) : "memory"); }
static void xrstor_from(u8 *p) { __asm__ volatile("xrstor64 (%0)" :: "r"(p), "a"(~0u), "d"(~0u) : "memory"); }
static int live_threads(void) { int n = 0; for (int i = 0; i < MAXT; i++) n += thr[i].state == T_RUN || thr[i].state == T_WAIT; return n; }
static void save_thread(struct frame *f) {
  struct tsave *s = tsave(cur);
  thr[cur].f = *f; thr[cur].fs = fs_base_v; xsave_to(s->xs);
  memcpy(s->cfg, &tcfg, sizeof tcfg); if (tcfg.palette) copy_fast(s->tl, tiles, sizeof tiles);
}
static void load_thread(struct frame *f, int n) {
  struct tsave *s = tsave(n);
  cur = n; *f = thr[n].f; fs_base_v = thr[n].fs; wrmsr(0xC0000100, fs_base_v); xrstor_from(s->xs);
  memcpy(&tcfg, s->cfg, sizeof tcfg); if (tcfg.palette) copy_fast(tiles, s->tl, sizeof tiles);
}
/* Loads the next runnable thread after cur (cur itself last) into f. With none runnable a
   timed wait times out, as no other event could end it; with none of those, a deadlock. */
static void schedule(struct frame *f) {
  for (;;) {
    for (int i = 1; i <= MAXT; i++) { int n = (cur + i) % MAXT; if (thr[n].state == T_RUN) { load_thread(f, n); return; } }
    int n = 0; while (n < MAXT && !(thr[n].state == T_WAIT && thr[n].timed)) n++;
    if (n == MAXT) break;
    thr[n].state = T_RUN; thr[n].f.rax = (u64)-110;             /* ETIMEDOUT */
  }
  kputs("[emu] fatal: every thread waits on a futex (deadlock)\n"); do_exit(255, "deadlock");
}
static s64 futex_wake(u64 addr, u64 max) {
  s64 n = 0;
  for (int i = 0; i < MAXT && (u64)n < max; i++)
    if (thr[i].state == T_WAIT && thr[i].wait_addr == addr) { thr[i].state = T_RUN; thr[i].f.rax = 0; n++; }
  return n;
}

/* ---------------- RAM file system ----------------
   A flat table of named files (a path is only a key; "/" and "/tmp" stat as directories),
   enough for a test that writes a small file under /tmp, renames it and maps it back.
   Contents are bump-allocated in RAMFS_BASE..RAMFS_LIMIT; a growing file moves to a
   block twice its size. File mmaps are private copies (no write-back). */
#define NFILES 32
#define NFDS 64
#define PATHMAX 256
struct rfile { int used; char path[PATHMAX]; u8 *data; u64 size, cap; };
struct rfd { struct rfile *f; u64 pos, flags; };
static struct rfile files[NFILES]; static struct rfd fds[NFDS]; static u64 ramfs_cur = RAMFS_BASE;
static int kstreq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }
static int is_dir(const char *p) { return kstreq(p, "/") || kstreq(p, "/tmp") || kstreq(p, "/tmp/"); }
static struct rfile *rf_find(const char *p) { for (int i = 0; i < NFILES; i++) if (files[i].used && kstreq(files[i].path, p)) return &files[i]; return 0; }
static struct rfd *rf_fd(u64 fd) { return fd >= 3 && fd < NFDS && fds[fd].f ? &fds[fd] : 0; }
static int rf_open_count(const struct rfile *f) { int n = 0; for (int i = 3; i < NFDS; i++) n += fds[i].f == f; return n; }
/* the path as a key: relative paths are relative to "/" (the only working directory) */
static s64 rf_path(s64 dirfd, u64 up, char *out) {
  const char *p = (const char *)up; if (!p) return -EFAULT;
  u64 n = kstrlen(p); if (!n) return -ENOENT; if (n + 2 > PATHMAX) return -36;  /* ENAMETOOLONG */
  if (p[0] != '/' && dirfd != -100) return -EBADF;                              /* only AT_FDCWD */
  u64 o = 0; if (p[0] != '/') out[o++] = '/'; memcpy(out + o, p, n + 1); return 0;
}
static s64 rf_reserve(struct rfile *f, u64 n) {
  if (n <= f->cap) return 0;
  u64 cap = f->cap * 2 > n ? f->cap * 2 : n; cap = (cap + 4095) & ~4095UL;
  if (ramfs_cur + cap > RAMFS_LIMIT) return -28;                                /* ENOSPC */
  u8 *d = (u8 *)ramfs_cur; ramfs_cur += cap; if (f->size) copy_fast(d, f->data, f->size);
  f->data = d; f->cap = cap; return 0;
}
static s64 rf_open(s64 dirfd, u64 up, u64 flags) {
  char path[PATHMAX]; s64 e = rf_path(dirfd, up, path); if (e) return e;
  if (is_dir(path)) return -21;                                                 /* EISDIR */
  struct rfile *f = rf_find(path);
  if (f && (flags & 0300) == 0300) return -17;                                  /* O_CREAT|O_EXCL: EEXIST */
  if (!f) {
    if (!(flags & 0100)) return -ENOENT;
    for (int i = 0; i < NFILES && !f; i++) if (!files[i].used && !rf_open_count(&files[i])) f = &files[i];
    if (!f) return -23;                                                         /* ENFILE */
    memset(f, 0, sizeof *f); f->used = 1; memcpy(f->path, path, kstrlen(path) + 1);
  }
  if ((flags & 01000) && (flags & 3)) f->size = 0;                              /* O_TRUNC */
  for (int fd = 3; fd < NFDS; fd++) if (!fds[fd].f) { fds[fd].f = f; fds[fd].pos = 0; fds[fd].flags = flags; return fd; }
  return -24;                                                                   /* EMFILE */
}
static s64 rf_rw(struct rfd *d, u64 buf, u64 n, u64 off, int write) {
  struct rfile *f = d->f;
  if (!write) { if (off >= f->size) return 0; if (n > f->size - off) n = f->size - off; copy_fast((void *)buf, f->data + off, n); return n; }
  s64 e = rf_reserve(f, off + n); if (e) return e;
  if (off > f->size) zero_fast(f->data + f->size, off - f->size);
  copy_fast(f->data + off, (const void *)buf, n); if (off + n > f->size) f->size = off + n; return n;
}
static void fill_reg(u8 *st, const struct rfile *f) {
  memset(st, 0, 144); *(u64 *)(st + 8) = (u64)(f - files) + 100; *(u64 *)(st + 16) = 1;
  *(u32 *)(st + 24) = 0100644; *(u64 *)(st + 48) = f->size; *(u64 *)(st + 56) = 4096; *(u64 *)(st + 64) = (f->size + 511) / 512;
}
static s64 rf_stat(s64 dirfd, u64 up, u8 *st) {
  char path[PATHMAX]; s64 e = rf_path(dirfd, up, path); if (e) return e;
  if (is_dir(path)) { memset(st, 0, 144); *(u64 *)(st + 16) = 2; *(u32 *)(st + 24) = 040777; *(u64 *)(st + 56) = 4096; return 0; }
  struct rfile *f = rf_find(path); if (!f) return -ENOENT; fill_reg(st, f); return 0;
}
static s64 rf_unlink(s64 dirfd, u64 up) {
  char path[PATHMAX]; s64 e = rf_path(dirfd, up, path); if (e) return e;
  struct rfile *f = rf_find(path); if (!f) return -ENOENT; f->used = 0; return 0;   /* open fds keep the contents */
}
static s64 rf_rename(s64 od, u64 op, s64 nd, u64 np) {
  char from[PATHMAX], to[PATHMAX]; s64 e = rf_path(od, op, from); if (!e) e = rf_path(nd, np, to); if (e) return e;
  struct rfile *f = rf_find(from), *t = rf_find(to); if (!f) return -ENOENT;
  if (t && t != f) t->used = 0;
  memcpy(f->path, to, kstrlen(to) + 1); return 0;
}
static void fill_stat(u8 *st);
static s64 sys_fstat(u64 fd, u8 *st) {
  if (fd <= 2) { fill_stat(st); return 0; }
  struct rfd *d = rf_fd(fd); if (!d) return -EBADF; fill_reg(st, d->f); return 0;
}

/* ---------------- syscalls ---------------- */
static void fill_stat(u8 *st) { memset(st, 0, 144); *(u32 *)(st + 24) = 0020620; /* st_mode S_IFCHR|0620 */
  *(u64 *)(st + 16) = 1; *(u64 *)(st + 56) = 1024; }

static s64 sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, s64 fd, u64 off) {
  (void)prot;
  struct rfd *d = 0;
  if (!(flags & 0x20)) {                               /* a file: a private copy of its bytes */
    d = rf_fd((u64)fd); if (!d) return -EBADF; if (flags & 0x10) return -ENOSYS;
  }
  u64 want = len;
  len = (len + 4095) & ~4095UL;
  if (flags & 0x10) {                                  /* MAP_FIXED */
    if (addr >= MMAP_BASE && addr + len <= mmap_cur) { zero_fast((void *)addr, len); return addr; }
    return -ENOMEM;
  }
  (void)fd;
  if (mmap_cur + len > MMAP_LIMIT) return -ENOMEM;
  u64 r = mmap_cur; mmap_cur += len; zero_fast((void *)r, len);
  last_map_addr = r; last_map_len = len;
  if (d && off < d->f->size) copy_fast((void *)r, d->f->data + off, want < d->f->size - off ? want : d->f->size - off);
  return r;
}

/* What a syscall group did with nr: not its own; handled, the result to rax; handled, the
   frame already set (a switch to another thread, or a yield). */
enum { SYS_NO, SYS_RET, SYS_DONE };
/* files and descriptors: the RAM file system, stdio on the serial ports */
static int sys_files(struct frame *f, u64 nr, const u64 *a, s64 *r) {
  u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
  s64 ret;
  switch (nr) {
  case 0: case 17: { struct rfd *d = rf_fd(a0);                            /* read, pread64; stdin: EOF */
    if (a0 == 0) ret = 0; else if (!d) ret = -EBADF;
    else { ret = rf_rw(d, a1, a2, nr == 17 ? a3 : d->pos, 0); if (nr == 0 && ret > 0) d->pos += ret; } break; }
  case 1: case 18: { struct rfd *d = rf_fd(a0);                             /* write, pwrite64 */
    if (a0 == 1 || a0 == 2) { ser_write(a0 == 1 ? 0 : 1, (const char *)a1, a2); ret = a2; }
    else if (!d) ret = -EBADF;
    else { if (nr == 1 && (d->flags & 02000)) d->pos = d->f->size;
      ret = rf_rw(d, a1, a2, nr == 18 ? a3 : d->pos, 1); if (nr == 1 && ret > 0) d->pos += ret; } break; }
  case 20: { ret = 0; const u64 *iov = (const u64 *)a1;                      /* writev */
    struct rfd *d = rf_fd(a0);
    if (a0 != 1 && a0 != 2 && !d) { ret = -EBADF; break; }
    for (u64 i = 0; i < a2; i++) {
      if (!d) { ser_write(a0 == 1 ? 0 : 1, (const char *)iov[2*i], iov[2*i+1]); ret += iov[2*i+1]; continue; }
      if (d->flags & 02000) d->pos = d->f->size;
      s64 w = rf_rw(d, iov[2*i], iov[2*i+1], d->pos, 1); if (w < 0) { ret = w; break; } d->pos += w; ret += w; }
    break; }
  case 3: if (a0 <= 2) ret = 0; else if (rf_fd(a0)) { fds[a0].f = 0; ret = 0; } else ret = -EBADF; break;   /* close */
  case 4: case 6: ret = rf_stat(-100, a0, (u8 *)a1); break;                  /* stat, lstat */
  case 5: ret = sys_fstat(a0, (u8 *)a1); break;
  case 262: if (a1 && *(const char *)a1 == 0 && (a3 & 0x1000)) ret = sys_fstat(a0, (u8 *)a2);   /* AT_EMPTY_PATH */
    else ret = rf_stat((s64)a0, a1, (u8 *)a2); break;
  case 332: ret = -ENOSYS; break;                                           /* statx: glibc falls back */
  case 8: { struct rfd *d = rf_fd(a0); s64 base;                            /* lseek */
    if (!d) { ret = a0 <= 2 ? -ESPIPE : -EBADF; break; }
    base = a2 == 0 ? 0 : a2 == 1 ? (s64)d->pos : a2 == 2 ? (s64)d->f->size : -1;
    if (base < 0 || base + (s64)a1 < 0) { ret = -EINVAL; break; }
    d->pos = (u64)(base + (s64)a1); ret = (s64)d->pos; break; }
  case 2: ret = rf_open(-100, a0, a1); break;                               /* open */
  case 257: ret = rf_open((s64)a0, a1, a2); break;                          /* openat */
  case 87: ret = rf_unlink(-100, a0); break;                                /* unlink */
  case 263: ret = rf_unlink((s64)a0, a1); break;                            /* unlinkat */
  case 82: ret = rf_rename(-100, a0, -100, a1); break;                      /* rename */
  case 264: case 316: ret = rf_rename((s64)a0, a1, (s64)a2, a3); break;     /* renameat, renameat2 */
  case 74: case 75: ret = a0 <= 2 || rf_fd(a0) ? 0 : -EBADF; break;         /* fsync, fdatasync */
  case 77: { struct rfd *d = rf_fd(a0); if (!d) { ret = -EBADF; break; }     /* ftruncate */
    ret = rf_reserve(d->f, a1); if (ret) break;
    if (a1 > d->f->size) zero_fast(d->f->data + d->f->size, a1 - d->f->size); d->f->size = a1; break; }
  case 79: if (a1 < 2) ret = -34; else { memcpy((void *)a0, "/", 2); ret = 2; } break;   /* getcwd */
  case 16: if (a0 <= 2 && a1 == 0x5401) { memset((void *)a2, 0, 36); ret = 0; } else if (a0 <= 2 && a1 == 0x5413) { u16 *w = (u16 *)a2; w[0] = 24; w[1] = 80; w[2] = w[3] = 0; ret = 0; } else ret = -ENOTTY; break;
  case 21: { u8 st[144]; ret = rf_stat(-100, a0, st); break; }              /* access */
  case 269: case 439: { u8 st[144]; ret = rf_stat((s64)a0, a1, st); break; } /* faccessat[2] */
  case 72: ret = 0; break;                                                  /* fcntl */
  case 89: case 267: ret = -ENOENT; break;                                   /* readlink */
  default: return SYS_NO;
  }
  *r = ret; return SYS_RET;
}
/* memory: mmap, munmap, brk, mprotect, madvise, mremap */
static int sys_memory(struct frame *f, u64 nr, const u64 *a, s64 *r) {
  u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
  s64 ret;
  switch (nr) {
  case 9: ret = sys_mmap(a0, a1, a2, a3, (s64)a4, a5); break;
  case 10: ret = 0; break;                                                  /* mprotect */
  case 11: if (a0 == last_map_addr && ((a1 + 4095) & ~4095UL) == last_map_len && a0 + last_map_len == mmap_cur) { mmap_cur = a0; last_map_addr = 0; } ret = 0; break;
  case 12: if (a0 >= brk_start && a0 < BRK_LIMIT) { if (a0 > brk_cur) zero_fast((void *)brk_cur, a0 - brk_cur); brk_cur = a0; } ret = brk_cur; break;
  case 25: ret = -ENOMEM; break;                                            /* mremap */
  case 28: ret = 0; break;                                                  /* madvise */
  default: return SYS_NO;
  }
  *r = ret; return SYS_RET;
}
/* threads: yield and sleep, clone, futex, thread ids, exit of a thread or the process */
static int sys_threads(struct frame *f, u64 nr, const u64 *a, s64 *r) {
  u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
  s64 ret;
  switch (nr) {
  case 24: case 35: case 230:                                               /* sched_yield, nanosleep: run another thread */
    f->rax = 0; if (live_threads() > 1) { save_thread(f); schedule(f); } return SYS_DONE;
  case 186: ret = thr[cur].tid; break;                                      /* gettid */
  case 56: {                                                                /* clone: threads only */
    if ((a0 & 0x10100) != 0x10100) { kputs("[emu] unimplemented: fork (clone without CLONE_VM|CLONE_THREAD): one process only\n"); ret = -ENOSYS; break; }
    int n = 1; while (n < MAXT && (thr[n].state == T_RUN || thr[n].state == T_WAIT)) n++;
    if (n == MAXT) { ret = -11; break; }                                    /* EAGAIN */
    struct thread *t = &thr[n]; int tid = next_tid++;
    memset(t, 0, sizeof *t); t->state = T_RUN; t->tid = tid;
    t->fs = (a0 & 0x80000) ? a4 : fs_base_v;                                /* CLONE_SETTLS */
    t->clear_tid = (a0 & 0x200000) ? a3 : 0;                                /* CLONE_CHILD_CLEARTID */
    t->f = *f; t->f.rax = 0; if (a1) t->f.rsp = a1;
    xsave_to(tsave(n)->xs); memset(tsave(n)->cfg, 0, sizeof tcfg);          /* no tile state in a new thread */
    if (a0 & 0x100000) *(s32 *)a2 = tid;                                    /* CLONE_PARENT_SETTID */
    if (a0 & 0x1000000) *(s32 *)a3 = tid;                                   /* CLONE_CHILD_SETTID */
    ret = tid; break; }
  case 435: ret = -ENOSYS; break;                                           /* clone3: glibc falls back to clone */
  case 202: { u64 op = a1 & ~(u64)(128 | 256);                             /* futex (private, realtime flags ignored) */
    if (op == 0 || op == 9) {                                               /* WAIT, WAIT_BITSET */
      if (*(volatile u32 *)a0 != (u32)a2) { ret = -11; break; }            /* EAGAIN */
      f->rax = 0; save_thread(f);
      thr[cur].state = T_WAIT; thr[cur].wait_addr = a0; thr[cur].timed = a3 != 0;
      schedule(f); return SYS_DONE; }
    if (op == 1 || op == 10) { ret = futex_wake(a0, a2); break; }           /* WAKE, WAKE_BITSET */
    kputs("[emu] unimplemented futex op "); kputd((s64)a1); kputs("\n"); ret = -ENOSYS; break; }
  case 218: thr[cur].clear_tid = a0; ret = thr[cur].tid; break;             /* set_tid_address */
  case 273: ret = 0; break;                                                 /* set_robust_list */
  case 334: ret = -ENOSYS; break;                                           /* rseq */
  case 60: if (live_threads() > 1) {                                       /* exit of one thread */
      thr[cur].state = T_DEAD;
      if (thr[cur].clear_tid) { *(u32 *)thr[cur].clear_tid = 0; futex_wake(thr[cur].clear_tid, ~0UL); }
      schedule(f); return SYS_DONE; }
    /* fall through: the last thread */
  case 231: { u64 c = rdtsc(); kputs("\n[emu] amx_instructions_emulated="); kputd(amx_count); kputs(" tsc="); kputd(c); do_exit((int)a0, "exited"); }
  default: return SYS_NO;
  }
  *r = ret; return SYS_RET;
}
/* process, identity, signals, time, limits, arch_prctl, randomness */
static int sys_process(struct frame *f, u64 nr, const u64 *a, s64 *r) {
  u64 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
  s64 ret;
  switch (nr) {
  case 13: case 14: case 131: ret = 0; break;                               /* rt_sigaction, rt_sigprocmask, sigaltstack */
  case 39: ret = 1; break;                                                  /* getpid */
  case 57: case 58: case 59: case 322:
    kputs("[emu] unimplemented: fork/vfork/execve: the mini-kernel runs one process\n"); ret = -ENOSYS; break;
  case 110: ret = 0; break;
  case 102: case 104: case 107: case 108: ret = 0; break;                   /* get[e]uid/gid */
  case 62: case 200: case 234: if (a1 == 0) { ret = 0; break; } kputs("\n[emu] process killed itself with signal "); kputd(a1 == 0 ? 0 : (s64)(nr == 62 ? a1 : a2)); do_exit(128 + (int)(nr == 62 ? a1 : a2), "killed-by-signal");
  case 63: { char *u = (char *)a0; memset(u, 0, 390); memcpy(u, "Linux", 6); memcpy(u + 65, "emu", 4); memcpy(u + 130, "6.1.0", 6); memcpy(u + 195, "#1", 3); memcpy(u + 260, "x86_64", 7); ret = 0; break; }
  case 96: { u64 t = rdtsc(); u64 *tv = (u64 *)a0; if (tv) { tv[0] = 1700000000 + t / 1000000000UL; tv[1] = (t / 1000) % 1000000; } ret = 0; break; }
  case 201: { u64 t = 1700000000 + rdtsc() / 1000000000UL; if (a0) *(u64 *)a0 = t; ret = t; break; }
  case 228: case 229: { u64 t = rdtsc(); u64 *ts = (u64 *)a1; if (nr == 229) { if (ts) { ts[0] = 0; ts[1] = 1; } ret = 0; break; }
    if (ts) { ts[0] = (a0 == 0 ? 1700000000UL : 0) + t / 1000000000UL; ts[1] = t % 1000000000UL; } ret = 0; break; }
  case 97: case 302: { u64 *rl = (u64 *)(nr == 97 ? a1 : a3); if (rl) { rl[0] = rl[1] = ((nr == 97 ? a0 : a1) == 3) ? 16UL << 20 : ~0UL; } ret = 0; break; }
  case 99: { memset((void *)a0, 0, 112); *(u64 *)(a0 + 32) = 1UL << 30; *(u32 *)(a0 + 104) = 1; ret = 0; break; }
  case 158: switch (a0) {                                                   /* arch_prctl */
    case 0x1001: gs_base_v = a1; wrmsr(0xC0000101, a1); ret = 0; break;
    case 0x1002: fs_base_v = a1; wrmsr(0xC0000100, a1); ret = 0; break;
    case 0x1003: *(u64 *)a1 = fs_base_v; ret = 0; break;
    case 0x1004: *(u64 *)a1 = gs_base_v; ret = 0; break;
    case 0x1021: case 0x1022: case 0x1024: case 0x1025: *(u64 *)a1 = 0x600E7UL; ret = 0; break;   /* XCOMP_SUPP/PERM */
    case 0x1023: case 0x1026: ret = (a1 == 17 || a1 == 18 || a1 < 8) ? 0 : -EINVAL; break;         /* REQ_XCOMP_PERM */
    default: ret = -EINVAL; }
    break;
  case 204: if (a1 >= 8) { memset((void *)a2, 0, a1); *(u8 *)a2 = 1; ret = 8; } else ret = -EINVAL; break;
  case 318: { u8 *b = (u8 *)a0; for (u64 i = 0; i < a1; i++) b[i] = (u8)rnd(); ret = a1; break; } /* getrandom */
  default: return SYS_NO;
  }
  *r = ret; return SYS_RET;
}
/* syscall nr (rax), arguments rdi, rsi, rdx, r10, r8, r9: the group that knows nr runs it */
void syscall_dispatch(struct frame *f) {
  u64 nr = f->rax, a[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
  s64 ret = 0; int h;
  if ((h = sys_files(f, nr, a, &ret)) == SYS_NO && (h = sys_memory(f, nr, a, &ret)) == SYS_NO
      && (h = sys_threads(f, nr, a, &ret)) == SYS_NO && (h = sys_process(f, nr, a, &ret)) == SYS_NO) {
    kputs("[emu] unimplemented syscall "); kputd(nr); kputs("\n"); ret = -ENOSYS; }
  if (h == SYS_DONE) return;
  f->rax = (u64)ret;
}

/* ---------------- ELF loading ---------------- */
struct mb_info { u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_mod { u32 start, end, string, reserved; };

/* argv from text split at sep (newlines: the args module, so arguments may hold spaces;
   spaces: the module command line); environment: NAME=VALUE lines of the env module
   first (getenv takes the first match), then the defaults. */
static u64 setup_stack(const char *argtext, char sep, const char *envtext, u64 phdr, u64 phnum, u64 entry) {
  char *sp = (char *)STACK_TOP;
  u64 al = kstrlen(argtext), el = kstrlen(envtext);
  sp -= al + 1; char *args = sp; memcpy(args, argtext, al + 1);
  sp -= el + 1; char *envs = sp; memcpy(envs, envtext, el + 1);
  char *argv[256]; int argc = 0; char *p = args;
  while (*p && argc < 255) { while (*p == sep) *p++ = 0; if (!*p) break; argv[argc++] = p; while (*p && *p != sep) p++; }
  char *envp[80]; int envc = 0; p = envs;
  while (*p && envc < 64) { char *l = p; while (*p && *p != '\n') p++; if (*p) *p++ = 0;
    int eq = 0; for (char *q = l; *q; q++) if (*q == '=') { eq = 1; break; }
    if (eq && l[0] != '#') envp[envc++] = l; }
  static const char *defs[] = {"PATH=/bin", "HOME=/", "TERM=dumb", "LANG=C"};
  for (int i = 0; i < 4; i++) { u64 l = kstrlen(defs[i]); sp -= l + 1; memcpy(sp, defs[i], l + 1); envp[envc++] = sp; }
  sp -= 8; memcpy(sp, "x86_64", 7); char *plat = sp;
  sp -= 16; for (int i = 0; i < 16; i++) sp[i] = (u8)rnd(); char *rand16 = sp;
  u64 *s = (u64 *)((u64)sp & ~15UL);
  u32 a, b, c, d; cpuid(1, 0, &a, &b, &c, &d);
  u64 aux[] = {3, phdr, 4, 56, 5, phnum, 6, 4096, 9, entry, 11, 0, 12, 0, 13, 0, 14, 0, 23, 0, 25, (u64)rand16,
               16, d, 26, 0, 17, 100, 15, (u64)plat, 51, 0x2000, 0, 0};
  int n = (int)(sizeof aux / 8) + envc + 1 + argc + 1 + 1;
  s -= n; if (n & 1) s--;                 /* keep rsp 16-byte aligned */
  u64 *w = s; *w++ = argc;
  for (int i = 0; i < argc; i++) *w++ = (u64)argv[i];
  *w++ = 0;
  for (int i = 0; i < envc; i++) *w++ = (u64)envp[i];
  *w++ = 0;
  for (u64 i = 0; i < sizeof aux / 8; i++) *w++ = aux[i];
  return (u64)s;
}

/* A module's bytes as a NUL-terminated string in buf (modules may lie where the program
   is loaded, so they are copied out first). */
static u64 grab_module(const struct mb_mod *m, char *buf, u64 cap) {
  u64 n = m->end - m->start; if (n > cap - 1) n = cap - 1;
  memcpy(buf, (void *)(u64)m->start, n); buf[n] = 0; return n;
}

void kmain(u32 magic, u32 mbi_addr) {
  for (int i = 0; i < 3; i++) ser_init(ports[i]);
  outb(0x21, 0xFF); outb(0xA1, 0xFF);                       /* mask PIC */
  kputs("[emu] mini-kernel up\n");
  if (magic != 0x2BADB002) { kputs("[emu] bad multiboot magic\n"); do_exit(255, "boot-error"); }
  struct mb_info *mbi = (struct mb_info *)(u64)mbi_addr;
  if (!(mbi->flags & 8) || mbi->mods_count < 1) { kputs("[emu] no module\n"); do_exit(255, "boot-error"); }
  struct mb_mod *mod = (struct mb_mod *)(u64)mbi->mods_addr;
  u64 msize = mod->end - mod->start;
  static char cmdline[4096];
  { const char *cs = (const char *)(u64)mod->string; u64 l = cs ? kstrlen(cs) : 0; if (l > 4095) l = 4095; memcpy(cmdline, cs, l); cmdline[l] = 0; }
  memmove((void *)MOD_COPY, (void *)(u64)mod->start, msize);
  if (msize > RAMFS_BASE - MOD_COPY) { kputs("[emu] program too large\n"); do_exit(255, "bad-binary"); }
  /* the other modules, by name: patches (cpuid/xgetbv sites), args (argv, one a line),
     env (NAME=VALUE lines) */
  static char patchbuf[65536], argbuf[16384], envbuf[16384]; u64 patchlen = 0; int have_args = 0;
  for (u32 i = 1; i < mbi->mods_count; i++) {
    const char *name = (const char *)(u64)mod[i].string; if (!name) continue;
    if (kstreq(name, "patches")) patchlen = grab_module(&mod[i], patchbuf, sizeof patchbuf);
    else if (kstreq(name, "args")) { grab_module(&mod[i], argbuf, sizeof argbuf); have_args = 1; }
    else if (kstreq(name, "env")) grab_module(&mod[i], envbuf, sizeof envbuf);
  }

  /* TSS */
  static u8 tss[104] __attribute__((aligned(16)));
  memset(tss, 0, sizeof tss); *(u64 *)(tss + 4) = (u64)kstack_top; *(u16 *)(tss + 102) = 104;
  u64 tb = (u64)tss;
  gdt[5] = 103 | ((tb & 0xFFFFFF) << 16) | (0x89UL << 40) | (((tb >> 24) & 0xFF) << 56);
  gdt[6] = tb >> 32;
  __asm__ volatile("ltr %w0" :: "r"(0x28));
  /* IDT */
  static u64 idt[2*32] __attribute__((aligned(16)));
  for (int i = 0; i < 32; i++) { u64 h = (u64)exc_tab[i];
    idt[2*i] = (h & 0xFFFF) | (0x08UL << 16) | (0x8EUL << 40) | (((h >> 16) & 0xFFFF) << 48); idt[2*i+1] = h >> 32; }
  struct { u16 l; u64 b; } __attribute__((packed)) idtr = {sizeof idt - 1, (u64)idt};
  __asm__ volatile("lidt %0" :: "m"(idtr));
  /* FPU / SSE / AVX / AVX-512 */
  u64 cr0, cr4; __asm__ volatile("mov %%cr0,%0":"=r"(cr0)); cr0 = (cr0 & ~(4UL | 8UL)) | 2UL | 32UL; __asm__ volatile("mov %0,%%cr0"::"r"(cr0));
  __asm__ volatile("mov %%cr4,%0":"=r"(cr4)); cr4 |= (1UL << 9) | (1UL << 10) | (1UL << 18); __asm__ volatile("mov %0,%%cr4"::"r"(cr4));
  u32 a, b, c, d; cpuid(0xD, 0, &a, &b, &c, &d);
  u64 xcr0 = a & 0xE7; xcr0_real = xcr0; __asm__ volatile("xsetbv" :: "c"(0), "a"((u32)xcr0), "d"(0));
  __asm__ volatile("fninit");
  kputs("[emu] xcr0="); kputx(xcr0); kputs("\n");
  /* syscall MSRs */
  wrmsr(0xC0000081, (0x10UL << 48) | (0x08UL << 32));
  wrmsr(0xC0000082, (u64)syscall_entry);
  wrmsr(0xC0000084, 0x47700);
  /* load ELF */
  const u8 *e = (const u8 *)MOD_COPY;
  if (*(const u32 *)e != 0x464C457F || e[4] != 2 || *(const u16 *)(e + 18) != 62) { kputs("[emu] not an x86_64 ELF\n"); do_exit(255, "bad-binary"); }
  u16 etype = *(const u16 *)(e + 16);
  if (etype != 2) { kputs("[emu] only static non-PIE ET_EXEC binaries supported (link with -static -no-pie)\n"); do_exit(255, "bad-binary"); }
  u64 entry = *(const u64 *)(e + 24), phoff = *(const u64 *)(e + 32);
  u16 phentsize = *(const u16 *)(e + 54), phnum = *(const u16 *)(e + 56);
  u64 maxend = 0, phdr_va = 0;
  for (int i = 0; i < phnum; i++) {
    const u8 *ph = e + phoff + i * phentsize; u32 type = *(const u32 *)ph;
    u64 off = *(const u64 *)(ph + 8), va = *(const u64 *)(ph + 16), fsz = *(const u64 *)(ph + 32), msz = *(const u64 *)(ph + 40);
    if (type == 3) { kputs("[emu] dynamic binary (PT_INTERP) not supported; link with -static\n"); do_exit(255, "bad-binary"); }
    if (type == 6) phdr_va = va;
    if (type != 1) continue;
    if (va < 0x200000 || va + msz > BRK_LIMIT) { kputs("[emu] segment outside supported range\n"); do_exit(255, "bad-binary"); }
    copy_fast((void *)va, e + off, fsz); zero_fast((void *)(va + fsz), msz - fsz);
    if (off == 0 && !phdr_va) phdr_va = va + phoff;
    if (va + msz > maxend) maxend = va + msz;
  }
  brk_start = brk_cur = (maxend + 4095) & ~4095UL;
  rnd_state ^= rdtsc();
  if (patchlen) apply_patches(patchbuf, patchlen);
  u64 sp = have_args ? setup_stack(argbuf, '\n', envbuf, phdr_va, phnum, entry) : setup_stack(cmdline, ' ', envbuf, phdr_va, phnum, entry);
  kputs("[emu] starting user program: "); kputs(have_args ? argbuf : cmdline); kputs("\n");
  enter_user(entry, sp);
}
