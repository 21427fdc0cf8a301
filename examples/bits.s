; Integer instructions whose results and flags are checked against the host CPU
; (specs/reference/data): a 64 x 64 -> 128-bit multiply, a double shift, bit scans.
        mov rax, 0x123456789abcdef
        mov rbx, 1000
        mul rbx                 ; rdx:rax = rax * 1000
        mov r8, rdx
        shld r8, rax, 8         ; r8 = the product's bits 119:56
        bsr rcx, rax            ; index of the highest set bit
        tzcnt rdi, rbx          ; trailing zeros of 1000
        popcnt rsi, rax
        hlt
