/**
 * The scenario file format (DESIGN.md "Scenario YAML": the key names are the
 * contract — extend, never rename). One zod schema is both the validator the
 * loader runs and, through `z.toJSONSchema`, the JSON Schema editors use
 * (`vmxlab schema`). Names that come from other tables (exit reasons, control
 * bits, VMCS fields) are checked against those tables by `validate.ts`, which
 * reports them with the same key paths and positions.
 */
import { z } from "zod";
import { parseNumber } from "../common/u64";
import { suggest } from "./suggest";
import { EXIT_REASON_NUMBERS } from "../exits/reasons";
import { EVENT_TYPES } from "../exits/qualification/interruption-info";
import { CONTROL_WORDS, ControlWord } from "../vmcs/controls";
import { FIELDS } from "../vmcs/fields";
import { PROFILE_NAMES } from "../vmcs/profiles";

/** Written numbers: decimal, 0x hex, 0b binary, 0o octal, `_` separators, size suffixes K/M/G (16M). */
export const NUMBER_PATTERN = "^(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)([kKmMgG]i?[bB]?)?$";
const NUMBER_RE = new RegExp(NUMBER_PATTERN);
const NUMBER_HELP = "expected a number or hex string";

/** A non-negative number as users write it; parsed to bigint (64-bit values stay exact). */
export const num = (help = NUMBER_HELP) =>
  z
    .union([z.number({ error: help }).int({ error: help }).nonnegative({ error: `${help} (not negative)` }), z.string({ error: help }).regex(NUMBER_RE, { error: help })], {
      error: help,
    })
    .transform((v) => (typeof v === "number" ? BigInt(v) : parseNumber(v)!));

const size = () => num("expected a size (a number, hex, or like 16M)");

export const MODES = ["long64", "protected32", "real16"] as const;
export const PROFILES = PROFILE_NAMES as [string, ...string[]];

/**
 * A name from one of the VMX tables, as an enum (so the JSON Schema lists the
 * names for completion) whose error suggests the closest name.
 */
function nameOf(values: readonly string[], what: string) {
  return z.enum(values as [string, ...string[]], {
    error: (iss) => {
      const got = typeof iss.input === "string" ? iss.input : undefined;
      if (got === undefined) return `expected ${what}`;
      return `'${got}' is not ${what}${suggest(got, values) || (values.length <= 8 ? ` (one of ${values.join(", ")})` : "")}`;
    },
  });
}

export const EXIT_REASON_NAMES = Object.keys(EXIT_REASON_NUMBERS) as [string, ...string[]];
/** VMCS fields by Linux name; 64-bit fields also as `<NAME>_HIGH` (the upper 32 bits). */
export const FIELD_NAMES = FIELDS.flatMap((f) => (f.width === 64 ? [f.name, `${f.name}_HIGH`] : [f.name]));
export const SCENARIO_CONTROL_WORDS = ["pin", "primary", "secondary", "tertiary", "exit", "secondary-exit", "entry"] as const satisfies readonly ControlWord[];

/** Registers a scenario may set or expect (lower case, as `exec --json` prints them). */
export const REG_NAMES = [
  "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
] as const;
export type ScenarioReg = (typeof REG_NAMES)[number];

const regs = () =>
  z.partialRecord(z.enum(REG_NAMES, { error: `expected a register name (${REG_NAMES.join(", ")})` }), num());

/** Exit reasons, control bits and VMCS fields come from their tables (src/exits/reasons.ts, src/vmcs/controls.ts, src/vmcs/fields.ts). */
const reasonName = () => nameOf(EXIT_REASON_NAMES, "an exit reason (see `vmxlab explain`)");
const controlName = (word: ControlWord) => nameOf(Object.keys(CONTROL_WORDS[word].bitsByName), `a ${word} control`);

/** Exception vectors by the SDM mnemonic without '#' (UD, PF, GP) or by number. */
export const VECTORS: Record<string, number> = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14, MF: 16, AC: 17, MC: 18, XM: 19, VE: 20, CP: 21,
};
const vector = () =>
  z.union(
    [z.enum(Object.keys(VECTORS) as [string, ...string[]]), z.number().int().min(0).max(255)],
    { error: `expected an exception vector name (${Object.keys(VECTORS).join(", ")}) or a number 0-255` },
  );

/** Code in one of three forms; exactly one of them (checked by the loader, which knows where the keys are). */
const codeForms = {
  /** Intel-syntax assembly (src/asm), assembled for `load`. */
  code: z.string({ error: "expected assembly text (use a `|` block)" }).optional(),
  /** Machine code as hex bytes: "0f a2 f4". */
  hex: z.string({ error: 'expected hex bytes like "0f a2 f4"' }).optional(),
  /** A file next to the scenario: `.s`/`.asm` is assembled, anything else loaded as raw bytes. */
  file: z.string({ error: "expected a file name" }).optional(),
};

const controlList = (word: ControlWord) =>
  z.union([z.array(controlName(word)), z.strictObject({ set: z.array(controlName(word)).optional(), clear: z.array(controlName(word)).optional() })], {
    error: "expected a list of control names, or { set: [...], clear: [...] }",
  });

const PORT_RANGE = /^(0[xX][0-9a-fA-F]+|[0-9]+)\s*-\s*(0[xX][0-9a-fA-F]+|[0-9]+)$/;
const ioRange = () =>
  z.union([num("expected a port number or a range like 0x3f8-0x3ff"), z.string().regex(PORT_RANGE)], {
    error: "expected a port number or a range like 0x3f8-0x3ff",
  });

const msrIntercept = () =>
  z.union(
    [
      num("expected an MSR index like 0xc0000080 or { msr, read, write }"),
      z.strictObject({ msr: num(), read: z.boolean().default(true), write: z.boolean().default(true) }),
    ],
    { error: "expected an MSR index like 0xc0000080 or { msr: 0xc0000080, read: true, write: false }" },
  );

export const PERMS_PATTERN = "^(?:[r-][w-][x-]|[rwx]{0,3})$";
export const MEMTYPES = ["uc", "wc", "wt", "wp", "wb"] as const;
export const PAGE_SIZES = ["4K", "2M", "1G"] as const;

const eptMapping = z.strictObject({
  gpa: num(),
  /** Defaults to the guest-physical address (identity). */
  hpa: num().optional(),
  size: size(),
  perms: z.string({ error: "expected permissions like rwx, r-x or -w-" }).regex(new RegExp(PERMS_PATTERN), { error: "expected permissions like rwx, r-x or -w-" }).default("rwx"),
  memtype: z.enum(MEMTYPES, { error: `expected a memory type (${MEMTYPES.join(", ")})` }).default("wb"),
  page: z.enum(PAGE_SIZES, { error: `expected a page size (${PAGE_SIZES.join(", ")})` }).default("4K"),
});

export const POLICIES = ["default", "stop", "skip"] as const;
const handlerPolicy = z.union(
  [
    z.enum(POLICIES),
    z.strictObject({
      inject: z.strictObject({
        vector: vector(),
        /** Default: by vector (hardware exception below 32, software exception for BP/OF, NMI for 2). */
        type: z.enum(Object.keys(EVENT_TYPES) as [string, ...string[]], { error: `expected an event type (${Object.keys(EVENT_TYPES).join(", ")})` }).optional(),
        "error-code": num().optional(),
      }),
    }),
    z.strictObject({ module: z.string().regex(/\.(ts|js|cjs|mjs)$/, { error: "expected a module path ending in .ts or .js" }) }),
  ],
  { error: "expected default, stop, skip, { inject: { vector: UD } } or { module: ./handler.ts }" },
);

const portOrFlag = () => z.union([z.boolean(), num("expected a port number or true/false")], { error: "expected a port number or true/false" });

const devices = z.strictObject({
  /** 16550 UART base port (default 0x3f8; false: none); what the guest writes to THR becomes `console`. */
  uart: portOrFlag().optional(),
  /** Debug-exit port (default 0xf4; false: none): a write stops the run with that status, as QEMU's isa-debug-exit. */
  "debug-exit": portOrFlag().optional(),
  /** PIC pair (0x20/0xa0) and PIT (0x40) raising IRQ 0 (default on); the guest programs the PIT. */
  timer: z.union([z.boolean(), z.strictObject({ "ticks-per-instruction": z.number().positive() })], { error: "expected true, false or { ticks-per-instruction: 1 }" }).optional(),
  /** The MMIO demo device (default base 0xfeb00000; false: none): accesses exit to the userspace VMM. */
  mmio: z.union([z.boolean(), num("expected a guest-physical base address or true/false")], { error: "expected a guest-physical base address or true/false" }).optional(),
  /** Directly assigned device memory mapped by EPT (no exits); default 4K at 0xfec00000 when EPT is on. */
  passthrough: z.union([z.boolean(), z.strictObject({ gpa: num(), size: size().default(0x1000n) })], { error: "expected false or { gpa: 0xfec00000, size: 4K }" }).optional(),
});

/** Why a run ended (the VMM's stop reasons; bare machines use the first four and debug-exit). */
export const STOP_REASONS = ["hlt", "step-limit", "shutdown", "debug-exit", "exit-limit", "fail-entry", "guest-exit", "stopped", "internal-error"] as const;

const exitSeq = () =>
  z.union([z.array(reasonName()), z.strictObject({ subsequence: z.array(reasonName()) })], {
    error: "expected a list of exit reasons, or { subsequence: [...] }",
  });

const expect = z.strictObject({
  stop: z.enum(STOP_REASONS, { error: `expected a stop reason (${STOP_REASONS.join(", ")})` }).optional(),
  /** The debug-exit value or hypercall EXIT code the run ended with. */
  status: num().optional(),
  exits: exitSeq().optional(),
  regs: regs().optional(),
  memory: z
    .array(
      z.strictObject({
        /** Guest-physical address, or `label` of the guest code (`leak`, `buffer`). */
        gpa: num().optional(),
        label: z.string().optional(),
        bytes: z.string({ error: 'expected hex bytes like "48 65 6c"' }).optional(),
        text: z.string().optional(),
      }),
    )
    .optional(),
  console: z.string().optional(),
  "vm-instruction-error": num().optional(),
  "entry-failure": z.string({ error: "expected a VM-entry check id" }).optional(),
  /** 2-D translations done after the run (guest paging, then EPT), with their references counted. */
  walk: z
    .array(
      z.strictObject({
        /** Guest-linear address. */
        address: num(),
        access: z.enum(["read", "write", "fetch"], { error: "expected read, write or fetch" }).default("read"),
        references: num().optional(),
        gpa: num().optional(),
        hpa: num().optional(),
      }),
    )
    .optional(),
  /** Exceptions raised (no-VMX scenarios), in order, by vector name. */
  faults: z.array(z.enum(Object.keys(VECTORS) as [string, ...string[]], { error: "expected an exception vector name like GP" })).optional(),
  /** How many times something happened: exit reasons by name, or `exits`, `userspace`, `faults`, `steps`. */
  counts: z.partialRecord(nameOf([...EXIT_REASON_NAMES, "exits", "userspace", "faults", "steps"], "an exit reason or one of exits, userspace, faults, steps"), num()).optional(),
});

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string({ error: "expected a name" }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: "expected a name of letters, digits, '.', '_' and '-'" }).optional(),
  description: z.string().optional(),
  /** vm (default): the guest runs in VMX non-root operation under the VMM; bare: on the CPU with no hypervisor, as `vmxlab exec`. */
  machine: z.enum(["vm", "bare"], { error: "expected vm or bare" }).default("vm"),
  cpu: z
    .strictObject({
      profile: z.enum(PROFILES, { error: `expected a capability profile (${PROFILES.join(", ")})` }).default("default"),
      /** Expose VMX to the guest (nested virtualization): CPUID shows it, guest VMX instructions go to the nested handler. */
      nested: z.boolean().default(false),
    })
    .optional(),
  guest: z.strictObject({
    mode: z.enum(MODES, { error: `expected a mode (${MODES.join(", ")})` }).default("long64"),
    memory: size().default(16n << 20n),
    ...codeForms,
    /** Where the code is loaded (default 0x10000, or 0x20000 when `host:` code sits at 0x10000). */
    load: num().optional(),
    entry: num().optional(),
    regs: regs().optional(),
  }),
  vmcs: z
    .strictObject({
      pin: controlList("pin").optional(),
      primary: controlList("primary").optional(),
      secondary: controlList("secondary").optional(),
      tertiary: controlList("tertiary").optional(),
      exit: controlList("exit").optional(),
      "secondary-exit": controlList("secondary-exit").optional(),
      entry: controlList("entry").optional(),
      "exception-bitmap": z.array(vector()).optional(),
      "io-intercept": z.union([z.literal("all"), z.array(ioRange())], { error: "expected a list of ports and ranges, or all" }).optional(),
      "msr-intercept": z.union([z.literal("all"), z.array(msrIntercept())], { error: "expected a list of MSRs, or all" }).optional(),
      fields: z.partialRecord(nameOf(FIELD_NAMES, "a VMCS field (see `vmxlab fields`)"), num()).optional(),
    })
    .optional(),
  ept: z.array(eptMapping, { error: "expected a list of mappings { gpa, size, perms }" }).optional(),
  handlers: z.partialRecord(reasonName(), handlerPolicy).optional(),
  host: z
    .strictObject({
      ...codeForms,
      load: num().default(0x10000n),
      entry: num().optional(),
      regs: regs().optional(),
    })
    .optional(),
  devices: devices.optional(),
  /**
   * Snapshot and restore (VMM runs): snapshot after VM exit `at-exit` is handled
   * (the first exit from then on that resumes the guest), run to the end,
   * restore, apply `restore.regs`, and run again from the snapshot.
   */
  snapshot: z
    .strictObject({
      "at-exit": num(),
      restore: z.strictObject({ regs: regs().optional() }).optional(),
    })
    .optional(),
  limits: z.strictObject({ steps: num().default(1_000_000n), exits: num().default(10_000n) }).optional(),
  expect: expect.optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type GuestSection = Scenario["guest"];
export type HostSection = NonNullable<Scenario["host"]>;
export type VmcsSection = NonNullable<Scenario["vmcs"]>;
export type EptMapping = z.output<typeof eptMapping>;
export type HandlerPolicy = z.output<typeof handlerPolicy>;
export type DevicesSection = z.output<typeof devices>;
export type ExpectSection = z.output<typeof expect>;

/** The JSON Schema `vmxlab schema` prints (input side: what users write). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const js = z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: js.$schema,
    $id: "https://vmxlab.dev/schema/scenario.json",
    title: "vmxlab scenario",
    description: "A VT-x scenario for `vmxlab run`: guest, VMCS controls, EPT, handlers, devices and expectations.",
    ...Object.fromEntries(Object.entries(js).filter(([k]) => k !== "$schema")),
  };
}
