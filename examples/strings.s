; strings.s: string data, character constants and `equ $ - label`.
;
;   npx vmxlab exec --asm examples/strings.s
;
; Copies a greeting into a buffer byte by byte and counts the letter 'l'.
; At HLT: rbx = 3, rcx = GREETING_LEN = 13 (0xd).

start:  lea rsi, [rel greeting]
        lea rdi, [rel buffer]
        xor ecx, ecx                    ; index
        xor ebx, ebx                    ; number of 'l's
.copy:  movzx eax, byte [rsi + rcx]
        mov [rdi + rcx], al
        cmp al, 'l'
        jne .other
        inc ebx
.other: inc ecx
        cmp ecx, GREETING_LEN
        jb .copy
        hlt

greeting:       db "hello, world", 10
GREETING_LEN    equ $ - greeting
buffer:         times 32 db 0
