    .section .multiboot, "a"
    .align 4
mb_header:
    .long 0x1BADB002
    .long 0x00010003          /* page align mods, mem info, aout kludge */
    .long -(0x1BADB002 + 0x00010003)
    .long mb_header           /* header_addr */
    .long 0x100000            /* load_addr */
    .long _edata_load         /* load_end_addr */
    .long _bss_end_addr       /* bss_end_addr */
    .long _start32            /* entry */

    .section .text32, "ax"
    .code32
    .globl _start32
_start32:
    cli
    mov %eax, mb_magic
    mov %ebx, mb_info
    mov $boot_stack_top, %esp
    /* page tables: PML4[0] -> PDPT, PDPT[0..3] -> PD0..PD3 (2MB pages, identity 4GB) */
    mov $pml4, %edi
    mov $pdpt, %eax
    or $7, %eax
    mov %eax, (%edi)
    mov $pdpt, %edi
    mov $pd, %eax
    or $7, %eax
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $0x1000, %eax
    add $8, %edi
    loop 1b
    mov $pd, %edi
    mov $0x87, %eax            /* P|RW|US|PS */
    xor %edx, %edx
    mov $2048, %ecx
2:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 2b
    movl $0x83, pd             /* first 2MB: supervisor only (catches NULL derefs) */
    mov %cr4, %eax
    or $0x20, %eax             /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $0x101, %eax            /* LME | SCE */
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    lgdt gdt_ptr
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov $kstack_top, %rsp
    mov mb_magic(%rip), %edi
    mov mb_info(%rip), %esi
    call kmain
3:  hlt
    jmp 3b

/* ---- syscall entry ---- */
    .globl syscall_entry
syscall_entry:
    mov %rsp, user_rsp_save(%rip)
    mov $kstack_top, %rsp
    sub $8, %rsp               /* placeholder for ss slot (frame layout shared) */
    pushq user_rsp_save(%rip)  /* rsp */
    push %r11                  /* rflags */
    pushq $0                   /* cs */
    push %rcx                  /* rip */
    pushq $0                   /* err */
    pushq $-1                  /* vector: -1 = syscall */
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    push %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rbx
    push %rax
    mov %rsp, %rdi
    call syscall_dispatch
    pop %rax
    pop %rbx
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rbp
    pop %r8
    pop %r9
    pop %r10
    pop %r11
    pop %r12
    pop %r13
    pop %r14
    pop %r15
    add $16, %rsp
    pop %rcx                   /* rip */
    add $8, %rsp
    pop %r11                   /* rflags */
    pop %rsp                   /* user rsp */
    sysretq

/* ---- exceptions ---- */
.macro EXC_NOERR n
    .globl exc\n
exc\n:
    pushq $0
    pushq $\n
    jmp exc_common
.endm
.macro EXC_ERR n
    .globl exc\n
exc\n:
    pushq $\n
    jmp exc_common
.endm
EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR 8
EXC_NOERR 9
EXC_ERR 10
EXC_ERR 11
EXC_ERR 12
EXC_ERR 13
EXC_ERR 14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR 17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_NOERR 21
EXC_NOERR 22
EXC_NOERR 23
EXC_NOERR 24
EXC_NOERR 25
EXC_NOERR 26
EXC_NOERR 27
EXC_NOERR 28
EXC_NOERR 29
EXC_NOERR 30
EXC_NOERR 31
EXC_NOERR 32

exc_common:
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    push %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rbx
    push %rax
    mov %rsp, %rdi
    call exception_dispatch
    pop %rax
    pop %rbx
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rbp
    pop %r8
    pop %r9
    pop %r10
    pop %r11
    pop %r12
    pop %r13
    pop %r14
    pop %r15
    add $16, %rsp
    iretq

    .globl enter_user
enter_user:   /* rdi = entry, rsi = stack */
    pushq $0x1B
    push %rsi
    pushq $0x2
    pushq $0x23
    push %rdi
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8, %r8
    xor %r9, %r9
    xor %r10, %r10
    xor %r11, %r11
    xor %r12, %r12
    xor %r13, %r13
    xor %r14, %r14
    xor %r15, %r15
    iretq

    .data
    .align 16
    .globl gdt
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF   /* 0x08 kernel code64 */
    .quad 0x00CF92000000FFFF   /* 0x10 kernel data */
    .quad 0x00CFF2000000FFFF   /* 0x18 user data */
    .quad 0x00AFFA000000FFFF   /* 0x20 user code64 */
    .quad 0, 0                 /* 0x28 TSS (filled at runtime) */
gdt_end:
    .globl gdt_ptr
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt
mb_magic: .long 0
mb_info:  .long 0
    .globl user_rsp_save
user_rsp_save: .quad 0

    .bss
    .align 4096
pml4: .space 4096
pdpt: .space 4096
pd:   .space 4096*4
    .space 16384
boot_stack_top:
    .align 16
    .space 262144
    .globl kstack_top
kstack_top:
    .space 64
