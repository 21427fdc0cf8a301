; fib.s: labels, loops, subroutines and data.
;
;   npx vmxlab exec --asm examples/fib.s
;
; Fills `table` with the first COUNT Fibonacci numbers, then adds them up.
; At HLT: rax = F(COUNT-1) = 4181 (0x1055), rbx = F(0) + ... + F(COUNT-1) = 10945 (0x2ac1).

COUNT   equ 20

start:  lea rdi, [rel table]            ; RIP-relative: works wherever the code is loaded
        mov ecx, COUNT
        call fill
        mov rax, [rdi + (COUNT - 1) * 8]
        call sum
        hlt

; fill: writes ecx Fibonacci numbers to the qwords at rdi.
fill:   xor eax, eax                    ; F(i)
        mov edx, 1                      ; F(i+1)
        xor esi, esi                    ; i
.next:  mov [rdi + rsi*8], rax
        lea r8, [rax + rdx]
        mov rax, rdx
        mov rdx, r8
        inc esi
        cmp esi, ecx
        jb .next                        ; `.next` is fill.next: local to `fill`
        ret

; sum: rbx = the sum of the ecx qwords at rdi.
sum:    xor ebx, ebx
        xor esi, esi
.next:  add rbx, qword ptr [rdi + rsi*8]
        inc esi
        cmp esi, ecx
        jb .next                        ; sum.next
        ret

        align 8
table:  times COUNT dq 0
