; hello.s: the smallest vmxlab program. It adds 10 + 9 + ... + 1 and stops.
;
;   npx vmxlab exec --asm examples/hello.s
;
; `exec` loads the code at 0x10000 in 64-bit mode and runs it until HLT;
; the result is in rax (55 = 0x37).

start:  mov ecx, 10             ; counter
        xor eax, eax            ; sum (writing eax clears all of rax)
.next:  add rax, rcx
        loop .next              ; rcx -= 1, repeat while rcx != 0
        hlt
