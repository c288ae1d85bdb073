import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { hasErrors } from "../foundation/diagnostics.js";
import { formatPtch } from "../compiler/format.js";
import { compile } from "../compiler/index.js";
import { planWithoutLocations } from "../compiler/plan-json.js";
import * as ptchPlugin from "../compiler/prettier-plugin.js";
import { parse } from "../grammar/index.js";

/** Formats a program that must have no syntax errors. */
function format(source: string): string {
  const { text, diagnostics } = formatPtch(source);
  expect(diagnostics).toEqual([]);
  expect(text).toBeDefined();
  return text!;
}

/**
 * What a program means, which formatting must keep: its plan without source locations, or the problems that keep
 * it from compiling; and its comments.
 */
function meaning(source: string) {
  const { plan, diagnostics } = compile(source);
  return {
    plan: plan && planWithoutLocations(plan),
    diagnostics: diagnostics.map(({ code, severity, message }) => ({ code, severity, message })),
    comments: parse(source).program.comments.map((comment) => comment.text.trimEnd()),
  };
}

/** Formatting `source` keeps its meaning, and formatting the result again changes nothing. */
function expectFormatsFaithfully(source: string): string {
  const formatted = format(source);
  expect(meaning(formatted)).toEqual(meaning(source));
  expect(format(formatted)).toBe(formatted);
  return formatted;
}

const lines = (...statements: string[]) => statements.map((statement) => `${statement}\n`).join("");

describe("the canonical layout of each statement", () => {
  // [messy input, canonical output]
  const statements: [string, string][] = [
    ['  model\t"stories260K"  ', 'model "stories260K"'],
    ['prompt   story="Once upon a time"', 'prompt story = "Once upon a time"'],
    [
      'measure  d=logit_diff( " She" ,#338 ) of  story at pos = -2',
      'measure d = logit_diff(" She", #338) of story at pos=-2',
    ],
    [
      'generate 5 from story measure  p=prob (" She") at step = *  measure contains( "x" )',
      'generate 5 from story measure p = prob(" She") at step=* measure contains("x")',
    ],
    [
      "measure r = normalized( logit_diff(#1,#2) , clean = a , corrupt = b ) of c",
      "measure r = normalized(logit_diff(#1, #2), clean=a, corrupt=b) of c",
    ],
    ['let lily=resid [ L = 2 , pos = -1 ] of "Lily"', 'let lily = resid[L=2, pos=-1] of "Lily"'],
    ["export  let tom=resid_pre[L=2,pos=- 1]of target", "export let tom = resid_pre[L=2, pos=-1] of target"],
    ["patch resid[ L=1,pos=-2 ]from source into target", "patch resid[L=1, pos=-2] from source into target"],
    [
      "patch resid from source [L = 2, pos = 0 .. 2] into target[L=1,pos=- 3 .. - 1]",
      "patch resid from source[L=2, pos=0..2] into target[L=1, pos=-3..-1]",
    ],
    [
      'add 0.5*(resid[L=2,pos=-1]of"Lily"-tom)to resid[L=2,pos=new]in target',
      'add 0.5 * (resid[L=2, pos=-1] of "Lily" - tom) to resid[L=2, pos=new] in target',
    ],
    ["set mlp_out[L=0,pos=3] in target to lily*2/ 3", "set mlp_out[L=0, pos=3] in target to lily * 2 / 3"],
    ["scale z[L=1,head=3,pos=prompt] in target by - 0.5", "scale z[L=1, head=3, pos=prompt] in target by -0.5"],
    ["scale resid[L=1] in t by -( a+-b )*- -2", "scale resid[L=1] in t by -(a + -b) * --2"],
    ["scale resid[L=007] in t by 2.5E+4-1e-3+0.50", "scale resid[L=007] in t by 2.5E+4 - 1e-3 + 0.50"],
    ["add ( ( a ) ) - (b - c) to resid[L=1] in t", "add ((a)) - (b - c) to resid[L=1] in t"],
    ['zero attn_out[L=1,pos="Tom"]   in   target', 'zero attn_out[L=1, pos="Tom"] in target'],
    ["zero v[L=0,head=0,pos=*] in target", "zero v[L=0, head=0, pos=*] in target"],
    [
      "mean mlp_hidden[L=3,pos=1..4] in target over source ,other",
      "mean mlp_hidden[L=3, pos=1..4] in target over source, other",
    ],
    ["generate 40 from target", "generate 40 from target"],
    [
      'generate 40 from target sample temperature = 0.8 top_k= 40 top_p =0.95 seed=7 stop"."',
      'generate 40 from target sample temperature=0.8 top_k=40 top_p=0.95 seed=7 stop "."',
    ],
    ['generate 10 from source sample   stop "\\n"', 'generate 10 from source sample stop "\\n"'],
  ];

  it.each(statements)("%s", (input, expected) => {
    expect(format(input)).toBe(lines(expected));
  });

  it("puts statements joined by ';' on lines of their own", () => {
    expect(format('zero x[L=1] in t;zero y[L=2] in t ;; prompt t = "x" ;')).toBe(
      lines("zero x[L=1] in t", "zero y[L=2] in t", 'prompt t = "x"'),
    );
  });

  it("lays out the parameter statements like the rest", () => {
    expect(
      format(
        [
          'param  layer=-1;param text = "hi"',
          "sweep L in 0 .. 3",
          'sweep word in[ "a" ,"b" ]',
          "sweep x in [ - 1, 2.5 ]",
          "patch resid[L = L, pos = first .. last] from source into target",
          "generate n from p sample seed = s stop text",
        ].join("\n"),
      ),
    ).toBe(
      lines(
        "param layer = -1",
        'param text = "hi"',
        "sweep L in 0..3",
        'sweep word in ["a", "b"]',
        "sweep x in [-1, 2.5]",
        "patch resid[L=L, pos=first..last] from source into target",
        "generate n from p sample seed=s stop text",
      ),
    );
  });
});

describe("strings", () => {
  // [string as written, canonical string]
  const strings: [string, string][] = [
    ['"plain, é and 😀"', '"plain, é and 😀"'],
    ['"\\"\\\\\\n\\t"', '"\\"\\\\\\n\\t"'],
    ['"\\u{22}\\u{5C}\\u{a}\\u{9}"', '"\\"\\\\\\n\\t"'],
    ['"\\u{41}\\u{e9}\\u{1f600}\\u{000041}"', '"Aé😀A"'],
    ['"\\u{0}\\u{7}\\u{d}\\u{7f}\\u{85}\\u{2028}\\u{2029}"', '"\\u{0}\\u{7}\\u{D}\\u{7F}\\u{85}\\u{2028}\\u{2029}"'],
    ['"raw\u0007bell and\ttab"', '"raw\\u{7}bell and\\ttab"'],
    ['"#;\'{}"', '"#;\'{}"'],
  ];

  it.each(strings)("%s is written %s, with the same value", (written, canonical) => {
    const source = (text: string) => lines('model "m"', `prompt p = ${text}`, "generate 1 from p");
    expect(expectFormatsFaithfully(source(written))).toBe(source(canonical));
  });
});

describe("comments and blank lines", () => {
  it("keeps full-line comments on their own line, unindented, and trailing ones two spaces after their statement", () => {
    const source = [
      "",
      "",
      "  # at the start   ",
      '\tmodel "m"   #   trailing',
      "",
      "",
      "",
      "# between",
      'prompt p = "x";generate 1 from p # after the second of two',
      "    # indented",
      'prompt q = "y"; # after a semicolon',
      "",
      "# at the end",
      "",
      "",
    ].join("\n");
    expect(format(source)).toBe(
      [
        "# at the start",
        'model "m"  #   trailing',
        "",
        "# between",
        'prompt p = "x"',
        "generate 1 from p  # after the second of two",
        "# indented",
        'prompt q = "y"  # after a semicolon',
        "",
        "# at the end",
        "",
      ].join("\n"),
    );
  });

  it("keeps a file of comments alone", () => {
    expect(format("# one\n\n\n   # two")).toBe("# one\n\n# two\n");
  });

  it("ends with exactly one newline, and an empty program is empty", () => {
    expect(format('model "m"')).toBe('model "m"\n');
    expect(format('model "m"\n\n\n')).toBe('model "m"\n');
    expect(format("")).toBe("");
    expect(format(" \n;\n\t\n")).toBe("");
  });

  it("writes line breaks as \\n, whatever the source used", () => {
    expect(format('model "m"\r\n\r\n\r\nprompt p = "x"\rgenerate 1 from p\r\n')).toBe(
      'model "m"\n\nprompt p = "x"\ngenerate 1 from p\n',
    );
  });
});

describe("syntax errors", () => {
  it.each([
    ["model stories260K", "PTCH1001"],
    ['prompt p = "bad \\q escape"', "PTCH1007"],
    ['prompt p = "unclosed', "PTCH1006"],
    ["generate 1 from p @", "PTCH1005"],
    ["patch resid[L=1 pos=2] from a into b", "PTCH1001"],
  ])("%s is not formatted: %s", (source, code) => {
    const { text, diagnostics } = formatPtch(source);
    expect(text).toBeUndefined();
    expect(diagnostics).toEqual(parse(source).diagnostics);
    expect(diagnostics.map((diagnostic) => diagnostic.code)).toContain(code);
  });
});

describe("the test cases and examples", () => {
  const folder = (name: string) => path.join(import.meta.dirname, "..", name);
  const ptchFiles = (name: string) =>
    readdirSync(folder(name))
      .filter((file) => file.endsWith(".ptch"))
      .map((file) => path.join(folder(name), file));
  const cases = ptchFiles("test/baselines/cases");
  const examples = ptchFiles("examples");

  it.each(cases.map((file) => [path.basename(file), file]))(
    "%s formats faithfully (its layout is a baseline: test/baselines/reference/NAME.formatted.ptch)",
    async (_, file) => {
      const source = readFileSync(file, "utf8");
      const { diagnostics } = parse(source);
      if (hasErrors(diagnostics)) {
        expect(formatPtch(source)).toEqual({ diagnostics });
        return;
      }
      expectFormatsFaithfully(source);
    },
  );

  it.each(examples.map((file) => [path.basename(file), file]))("%s is formatted already", (_, file) => {
    const source = readFileSync(file, "utf8");
    expect(expectFormatsFaithfully(source)).toBe(source);
  });
});

// ---------------------------------------------------------------------------------------------
// Random valid programs in random layouts. A program is a list of statements, each a list of tokens; the layout
// (spacing, separators, comments, blank lines) is chosen separately, so that every layout of one program must
// format to the same text.

/** Ways of writing each character of a string: as itself where the lexer allows it, by name, or by code point. */
function spellings(character: string): string[] {
  const named = new Map([
    ['"', '\\"'],
    ["\\", "\\\\"],
    ["\n", "\\n"],
    ["\t", "\\t"],
  ]).get(character);
  const hex = character.codePointAt(0)!.toString(16);
  const raw = /["\\\r\n]/.test(character) ? [] : [character];
  return [...raw, ...(named ? [named] : []), `\\u{${hex}}`, `\\u{${hex.toUpperCase().padStart(6, "0")}}`];
}

const stringCharacter = fc.constantFrom(
  "a",
  "Z",
  " ",
  "é",
  "😀",
  '"',
  "\\",
  "\n",
  "\r",
  "\t",
  "\u0007",
  "\u2028",
  "#",
  ";",
  "}",
);
const stringLiteral = (minLength = 0) =>
  fc
    .array(
      stringCharacter.chain((character) => fc.constantFrom(...spellings(character))),
      { minLength, maxLength: 5 },
    )
    .map((parts) => `"${parts.join("")}"`);

/** Layers and heads: literals, or the parameter and the sweep variable that every program declares. */
const integer = fc.oneof(fc.integer({ min: 0, max: 12 }).map(String), fc.constantFrom("007", "layer", "depth"));
const signedInteger = fc.integer({ min: -6, max: 6 }).map((n) => (n < 0 ? ["-", String(-n)] : [String(n)]));
const number = fc.constantFrom("0.5", "2", "1e-3", "2.5E+4", "007", "0.25");

/** Spans whose ends count from the same end of the prompt and don't run backwards. */
const span = fc.tuple(fc.nat(4), fc.nat(4), fc.boolean()).map(([a, b, fromEnd]) => {
  const [low, high] = [Math.min(a, b), Math.max(a, b)];
  return fromEnd ? ["-", String(high + 1), "..", "-", String(low + 1)] : [String(low), "..", String(high)];
});

/** `pos` values by where they may be used: `new` and `*` include generated positions, which not every use has. */
const singlePosition = fc.oneof(
  signedInteger,
  stringLiteral(1).map((text) => [text]),
  fc.constant<string[]>(["prompt"]),
);
const promptPositions = fc.oneof(singlePosition, span);
const anyPositions = fc.oneof(promptPositions, fc.constantFrom<string[]>(["new"], ["*"]));

const commaSeparated = (items: string[][]) => items.flatMap((item, i) => (i > 0 ? [",", ...item] : item));

/** `[L=…, head=…, pos=…]`: a layer always, a head where the site has heads, positions where given. */
const selectors = (hasHeads: boolean, positions: fc.Arbitrary<string[] | null>) =>
  fc.tuple(integer, integer, positions).map(([layer, head, pos]) => {
    const list = [
      ["L", "=", layer],
      ...(hasHeads ? [["head", "=", head]] : []),
      ...(pos ? [["pos", "=", ...pos]] : []),
    ];
    return ["[", ...commaSeparated(list), "]"];
  });

/** Sites, less `resid_post`, whose layer can't be a parameter. */
const siteName = fc.oneof(
  fc.constantFrom("resid", "resid_pre", "attn_out", "resid_mid", "mlp_out", "mlp_hidden").map((name) => ({
    name,
    hasHeads: false,
  })),
  fc.constantFrom("z", "q", "k", "v").map((name) => ({ name, hasHeads: true })),
);

const site = (positions: fc.Arbitrary<string[] | null>) =>
  siteName.chain(({ name, hasHeads }) => selectors(hasHeads, positions).map((list) => [name, ...list]));

const prompt = fc.constantFrom("source", "target", "other");
const captureSource = fc.oneof(
  prompt.map((name) => [name]),
  stringLiteral().map((text) => [text]),
);

/** Operands joined by operators: any such sequence is an expression, whatever it groups to. */
const { expression } = fc.letrec<{ expression: string[]; operand: string[] }>((tie) => ({
  expression: fc
    .tuple(tie("operand"), fc.array(fc.tuple(fc.constantFrom("+", "-", "*", "/"), tie("operand")), { maxLength: 3 }))
    .map(([first, rest]) => [...first, ...rest.flatMap(([operator, operand]) => [operator, ...operand])]),
  operand: fc.oneof(
    { depthSize: "small" },
    number.map((n) => [n]),
    fc.constant<string[]>(["captured"]),
    fc.tuple(site(fc.option(singlePosition)), captureSource).map(([read, source]) => [...read, "of", ...source]),
    tie("operand").map((operand) => ["-", ...operand]),
    tie("expression").map((inner) => ["(", ...inner, ")"]),
  ),
}));

/** Stands for a capture's name until the program numbers its captures, so that each has its own. */
const CAPTURE_NAME = "CAPTURE_NAME";

const written = site(fc.option(anyPositions));

const statement: fc.Arbitrary<string[]> = fc.oneof(
  fc
    .tuple(fc.boolean(), site(fc.option(promptPositions)), captureSource)
    .map(([exported, read, source]) => [
      ...(exported ? ["export"] : []),
      ...["let", CAPTURE_NAME, "=", ...read, "of", ...source],
    ]),
  siteName.chain(({ name, hasHeads }) =>
    fc
      .tuple(
        selectors(hasHeads, fc.option(singlePosition)),
        fc.option(selectors(hasHeads, fc.option(singlePosition)), { nil: [] }),
        fc.option(selectors(hasHeads, fc.option(anyPositions)), { nil: [] }),
      )
      .map(([shared, source, target]) => [
        "patch",
        name,
        ...shared,
        "from",
        "source",
        ...source,
        "into",
        "target",
        ...target,
      ]),
  ),
  fc.tuple(expression, written, prompt).map(([value, write, into]) => ["add", ...value, "to", ...write, "in", into]),
  fc.tuple(written, prompt, expression).map(([write, into, value]) => ["set", ...write, "in", into, "to", ...value]),
  fc
    .tuple(written, prompt, expression)
    .map(([write, into, factor]) => ["scale", ...write, "in", into, "by", ...factor]),
  fc.tuple(written, prompt).map(([write, into]) => ["zero", ...write, "in", into]),
  fc
    .tuple(site(promptPositions), fc.shuffledSubarray(["source", "other"], { minLength: 1 }))
    .map(([write, over]) => ["mean", ...write, "in", "target", "over", ...commaSeparated(over.map((name) => [name]))]),
  fc
    .tuple(
      fc.integer({ min: 1, max: 50 }).map(String),
      prompt,
      fc.option(
        fc.subarray([
          ["temperature", "=", "0.8"],
          ["top_k", "=", "40"],
          ["top_p", "=", "0.95"],
          ["seed", "=", "7"],
        ]),
      ),
      fc.option(fc.oneof(stringLiteral(1), fc.constant("word"))),
    )
    .map(([count, from, sampling, stop]) => [
      ...["generate", count, "from", from],
      ...(sampling ? ["sample", ...sampling.flat()] : []),
      ...(stop ? ["stop", stop] : []),
    ]),
);

const program = fc
  .tuple(stringLiteral(), stringLiteral(), stringLiteral(), fc.array(statement, { maxLength: 8 }))
  .map(([source, target, other, body]) => [
    ["model", '"stories260K"'],
    ["prompt", "source", "=", source],
    ["prompt", "target", "=", target],
    ["prompt", "other", "=", other],
    ["let", "captured", "=", "resid", "[", "L", "=", "1", "]", "of", "source"],
    ["param", "layer", "=", "1"],
    ["sweep", "depth", "in", "0", "..", "2"],
    ["sweep", "word", "in", "[", '"a"', ",", '"\\n"', "]"],
    ...body.map((tokens, i) => tokens.map((token) => (token === CAPTURE_NAME ? `capture${i}` : token))),
    ["generate", "5", "from", "target"],
  ]);

const comment = fc
  .array(fc.constantFrom("a", " ", "\t", "#", ";", '"', "é"), { maxLength: 8 })
  .map((characters) => `#${characters.join("")}`);

/** Whether two tokens would run into one if they touched: names, keywords and numbers. */
const wouldJoin = (left: string, right: string) => /[A-Za-z0-9_]$/.test(left) && /^[A-Za-z0-9_]/.test(right);

/** A statement's tokens with random spacing: none where the tokens stay apart without it, or some blanks. */
const spaced = (tokens: string[]) =>
  fc.array(fc.constantFrom("", " ", "  ", "\t"), { minLength: tokens.length, maxLength: tokens.length }).map((gaps) =>
    tokens
      .map((token, i) => {
        if (i === 0) return token;
        const gap = gaps[i] === "" && wouldJoin(tokens[i - 1]!, token) ? " " : gaps[i]!;
        return gap + token;
      })
      .join(""),
  );

/**
 * What may stand between two statements: semicolons, or line breaks with (if `withComments`) comments, and blank
 * lines and indentation.
 */
const separator = (withComments: boolean) => {
  const comments = withComments
    ? fc.array(fc.tuple(fc.constantFrom("", "  ", "\t"), comment), { maxLength: 2 })
    : fc.constant([]);
  return fc.oneof(
    fc.constantFrom(";", " ; ", ";;", ";\t"),
    fc
      .tuple(
        fc.constantFrom("", ";", " ; "),
        withComments
          ? fc.option(
              comment.map((text) => ` ${text}`),
              { nil: "" },
            )
          : fc.constant(""),
        fc.constantFrom("\n", "\r\n", "\n\n", "\n \t\n\n", "\n;\n"),
        comments,
        fc.constantFrom("", " ", "\t"),
      )
      .map(
        ([semicolon, trailing, lineBreaks, fullLine, indent]) =>
          semicolon + trailing + lineBreaks + fullLine.map(([at, text]) => `${at}${text}\n`).join("") + indent,
      ),
  );
};

/** A random layout of a program's statements. */
const layout = (statements: string[][], withComments: boolean) =>
  fc
    .tuple(
      fc.tuple(...statements.map(spaced)),
      fc.array(separator(withComments), { minLength: statements.length, maxLength: statements.length }),
      withComments ? fc.constantFrom("", "\n\n", "# first\n", "  \n# first\n\n") : fc.constantFrom("", "\n\n"),
    )
    .map(([texts, separators, start]) => start + texts.map((text, i) => text + separators[i]!).join(""));

describe("random programs in random layouts", () => {
  it("format faithfully: same plan and comments, and formatting again changes nothing", () => {
    fc.assert(
      fc.property(
        program.chain((statements) => layout(statements, true)),
        (source) => {
          const { plan, diagnostics } = compile(source);
          // A random value may divide by a constant zero, 0.5 / (0.25 - 0.25), which is rightly an error (PTCH3020).
          fc.pre(!diagnostics.some((diagnostic) => diagnostic.code === "PTCH3020"));
          expect(plan).toBeDefined();
          expectFormatsFaithfully(source);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("format to one text, whatever the layout, up to blank lines", () => {
    const withoutBlankLines = (text: string) => text.replace(/\n\n+/g, "\n");
    fc.assert(
      fc.property(
        program.chain((statements) => fc.tuple(layout(statements, false), layout(statements, false))),
        ([one, other]) => {
          expect(withoutBlankLines(format(one))).toBe(withoutBlankLines(format(other)));
        },
      ),
    );
  });

  it("never throw on arbitrary text, and format whatever parses faithfully", () => {
    const pieces = fc.constantFrom(
      ...["model", "prompt", "let", "param", "sweep", "patch", "add", "to", "in", "of", "generate", "from", "sample"],
      ...["x", "resid", "L", "pos", "0", "-", "1.5", "..", "=", "[", "]", "(", ")", ",", "*", "+", "/", ";"],
      ...['"s"', '"\\u{7}"', '"', "\\", "#c", " ", "\n", "\r\n", "@", "é"],
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const source = parts.join("");
        if (formatPtch(source).text !== undefined) expectFormatsFaithfully(source);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the Prettier plugin", () => {
  const messy = 'model   "stories260K"\nprompt p="x";generate 1 from p   # go\n\n\n';

  it("formats .ptch through Prettier's API", async () => {
    expect(await prettier.format(messy, { parser: "ptch", plugins: [ptchPlugin] })).toBe(format(messy));
    expect(await prettier.format(messy, { filepath: "story.ptch", plugins: [ptchPlugin] })).toBe(format(messy));
  });

  it("reports syntax errors as file:line:col: message", async () => {
    const formatting = prettier.format("model stories260K\ngenerate 1 form p", {
      filepath: "bad.ptch",
      plugins: [ptchPlugin],
    });
    await expect(formatting).rejects.toThrow(
      /^bad\.ptch:1:7: error PTCH1001: expected a string.*\nbad\.ptch:2:12: error PTCH1001/,
    );
  });

  const builtPlugin = path.join(import.meta.dirname, "..", "dist", "compiler", "prettier-plugin.js");
  it.skipIf(!existsSync(builtPlugin))("formats and checks files through the Prettier CLI, built", () => {
    const prettierCli = createRequire(import.meta.url).resolve("prettier/bin/prettier.cjs");
    const prettierRun = (...args: string[]) =>
      execFileSync(process.execPath, [prettierCli, "--plugin", builtPlugin, ...args], {
        encoding: "utf8",
        stdio: "pipe",
      });
    const folder = mkdtempSync(path.join(tmpdir(), "ptch-format-"));
    try {
      const file = path.join(folder, "messy.ptch");
      writeFileSync(file, messy);
      expect(prettierRun(file)).toBe(format(messy));
      expect(() => prettierRun("--check", file)).toThrow();
      prettierRun("--write", file);
      expect(prettierRun("--check", file)).toContain("All matched files use Prettier code style");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
