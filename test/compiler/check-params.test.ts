// The checks of parameters and sweeps, and of the values they take where they are used.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { startOf } from "../support/ranges.js";
import { experiment, expectError, expectValid, located } from "../support/compile.js";

describe("parameter checks", () => {
  it.each([
    ["a name that no parameter has", ["zero resid[L=l] in b"], "PTCH2014 4:14", "no parameter named 'l'"],
    [
      "a misspelt parameter",
      ["param layer = 1", "zero resid[L=layr] in b"],
      "PTCH2014 5:14",
      "no parameter named 'layr'; did you mean 'layer'?",
    ],
    [
      "a prompt where a parameter belongs",
      ["zero resid[L=0, pos=a] in b"],
      "PTCH2014 4:21",
      "no parameter named 'a'; 'a' is a prompt, not a parameter",
    ],
    [
      "a capture where a parameter belongs",
      ["export let x = resid[L=0] of a", "zero resid[L=x] in b"],
      "PTCH2014 5:14",
      "no parameter named 'x'; 'x' is a capture, not a parameter",
    ],
    ["an undefined generate count", ["generate n from a"], "PTCH2014 4:10", "no parameter named 'n'"],
    ["an undefined sampling option", ["generate 1 from a sample seed=s"], "PTCH2014 4:31", "no parameter named 's'"],
    ["an undefined stop text", ["generate 1 from a stop s"], "PTCH2014 4:24", "no parameter named 's'"],
    ["an undefined prompt text", ["prompt c = who", "generate 1 from c"], "PTCH2014 4:12", "no parameter named 'who'"],
    [
      "a misspelt name in a value, suggesting a parameter",
      ["param alpha = 0.5", "add alhpa to resid[L=0] in b"],
      "PTCH2007 5:5",
      "no capture named 'alhpa'; did you mean 'alpha'?",
    ],
    [
      "a parameter where a prompt belongs",
      ["param n = 1", "generate n from n"],
      "PTCH2001 5:17",
      "no prompt named 'n'; 'n' is a parameter, not a prompt",
    ],
    [
      "a name declared twice",
      ["param l = 1", "sweep l in 0..1", "zero resid[L=l] in b"],
      "PTCH2015 5:7",
      "'l' is already declared",
    ],
    [
      "a parameter named like a prompt",
      ["param a = 1"],
      "PTCH2016 4:7",
      "'a' is already the name of a prompt; give the parameter another name",
    ],
    [
      "a sweep variable named like a capture",
      ["export let x = resid[L=0] of a", "sweep x in 0..1"],
      "PTCH2016 5:7",
      "'x' is already the name of a capture; give the sweep variable another name",
    ],
    [
      "a float parameter as a layer",
      ["param x = 1.5", "zero resid[L=x] in b"],
      "PTCH3012 5:14",
      "'x' is a float parameter, but L must be an integer",
    ],
    [
      "a sweep of ints and floats as a head",
      ["sweep x in [1, 2.5]", "zero z[L=0, head=x] in b"],
      "PTCH3012 5:18",
      "'x' is a float sweep variable, but head must be an integer",
    ],
    [
      "a float parameter as a position",
      ["param x = 1.5", "zero resid[L=0, pos=x] in b"],
      "PTCH3012 5:21",
      "'x' is a float parameter, but pos must be an integer or a string",
    ],
    [
      "a string parameter as a span's end",
      ['param x = "b"', "zero resid[L=0, pos=0..x] in b"],
      "PTCH3012 5:24",
      "'x' is a string parameter, but pos must be an integer",
    ],
    [
      "a string sweep variable in a value",
      ['sweep s in ["u", "v"]', "scale resid[L=0] in b by s"],
      "PTCH3012 5:26",
      "'s' is a string sweep variable, but a value must be a number",
    ],
    [
      "a float parameter as the generate count",
      ["param n = 2.0", "generate n from b"],
      "PTCH3012 5:10",
      "'n' is a float parameter, but the generate count must be an integer",
    ],
    [
      "a float parameter as top_k",
      ["param k = 4e1", "generate 1 from b sample top_k=k"],
      "PTCH3012 5:32",
      "'k' is a float parameter, but top_k must be an integer",
    ],
    [
      "a string parameter as the temperature",
      ['param t = "hot"', "generate 1 from b sample temperature=t"],
      "PTCH3012 5:38",
      "'t' is a string parameter, but temperature must be a number",
    ],
    [
      "an int parameter as the stop text",
      ["param s = 1", "generate 1 from b stop s"],
      "PTCH3012 5:24",
      "'s' is an int parameter, but the stop text must be a string",
    ],
    [
      "an int parameter as a prompt's text",
      ["param s = 1", "prompt c = s", "generate 1 from c"],
      "PTCH3012 5:12",
      "'s' is an int parameter, but a prompt's text must be a string",
    ],
    [
      "a parameter as the layer of resid_post",
      ["param l = 1", "zero resid_post[L=l] in b"],
      "PTCH3013 5:19",
      "the layer of resid_post can't be a parameter: resid_post[L=n] is resid[L=n+1], which a plan can't express; select resid[L=…] instead",
    ],
    [
      "a sweep range running backwards",
      ["sweep l in 3..1", "zero resid[L=l] in b"],
      "PTCH3014 4:12",
      "sweep range 3..1 runs backwards, so it has no values",
    ],
    [
      "a sweep range with a decimal end",
      ["sweep l in 0..2.5", "zero resid[L=l] in b"],
      "PTCH3005 4:15",
      "a sweep range's end must be an integer, got 2.5",
    ],
    ["an empty sweep", ["sweep l in []", "zero resid[L=l] in b"], "PTCH3015 4:12", "a sweep needs at least one value"],
    [
      "a sweep of numbers and strings",
      ['sweep l in [1, "2"]', "zero resid[L=l] in b"],
      "PTCH3016 4:16",
      `a sweep's values must be all numbers or all strings: "2" is a string, but 1 is a number`,
    ],
    [
      "a sweep range too large",
      ["sweep l in 0..10000", "zero resid[L=l] in b"],
      "PTCH3018 4:12",
      "a sweep of 10001 values is too large; a sweep has at most 10000",
    ],
    [
      "a default too large",
      ["param x = 1e999", "scale resid[L=0] in b by x"],
      "PTCH3006 4:11",
      "a parameter's default must be finite as a 32-bit float (at most about 3.4e38 in size), got 1e999",
    ],
    [
      "a sweep value too large",
      ["sweep x in [1, -1e999]", "scale resid[L=0] in b by x"],
      "PTCH3006 4:16",
      "a sweep value must be finite as a 32-bit float (at most about 3.4e38 in size), got -1e999",
    ],
    [
      "an int default that is no safe integer",
      ["param x = 99999999999999999999", "scale resid[L=0] in b by x"],
      "PTCH3006 4:11",
      "a parameter's default must be at most 9007199254740991, got 99999999999999999999",
    ],
    [
      "an int sweep value that is no safe integer",
      ["sweep x in [1, -9007199254740992]", "zero resid[L=0, pos=x] in b"],
      "PTCH3006 4:16",
      "a sweep value must be at least -9007199254740991, got -9007199254740992",
    ],
    [
      "a sweep range's end that is no safe integer",
      ["sweep x in 0..99999999999999999999", "zero resid[L=0, pos=x] in b"],
      "PTCH3006 4:15",
      "a sweep range's end must be at most 9007199254740991, got 99999999999999999999",
    ],
    [
      "a grid of sweeps too large, at the sweep that takes it over",
      [
        "sweep x in 0..99",
        "sweep y in 1..100",
        "sweep z in [1, 2]",
        "zero z[L=x, head=y] in b",
        "scale resid[L=0] in b by z",
      ],
      "PTCH3019 6:1",
      "with this sweep, the sweeps make 20000 runs; the sweeps of a file make at most 10000",
    ],
  ])("reports %s", (_, statements, expected, message) => {
    const source = experiment(...statements);
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toBe(message);
  });

  it("points a repeated declaration and a taken name at the first", () => {
    const repeated = expectError(experiment("param l = 1", "param l = 2", "zero resid[L=l] in b"), "PTCH2015");
    expect(repeated.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
      ["'l' is first declared here", "4:7"],
    ]);
    const taken = expectError(experiment("sweep b in 0..1"), "PTCH2016");
    expect(taken.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
      ["the prompt 'b' is defined here", "3:8"],
    ]);
  });

  it("reports a grid of sweeps too large once, without binding it", () => {
    const sweeps = ["sweep x in 0..9999", "sweep y in 0..9999", "sweep z in 0..9999"];
    const source = experiment(...sweeps, "zero resid[L=0, pos=x..y] in b", "scale resid[L=0] in b by z");
    expect(located(source)).toEqual(["PTCH3019 5:1"]);
  });

  it.each([
    ["a grid of the largest size", ["sweep x in 1..100", "sweep y in 1..100"]],
    [
      "a float sweep with an integer beyond the safe ones",
      ["sweep x in [0.5, 99999999999999999999]", "sweep y in [1]"],
    ],
  ])("accepts %s", (_, sweeps) => {
    expectValid(experiment(...sweeps, "scale resid[L=0] in b by x * y"));
  });

  it("checks a parameter of the wrong type where it is used, not its values there", () => {
    expect(located(experiment("param x = -1.5", "zero resid[L=x] in b"))).toEqual(["PTCH3012 5:14"]);
    expect(located(experiment("param x = 2.5", "param t = -1", "generate x from b sample temperature=t"))).toEqual([
      "PTCH3012 6:10",
      "PTCH3006 6:38",
    ]);
  });
});

describe("checks of the values parameters take", () => {
  it.each([
    [
      "a negative layer in a sweep",
      ["sweep l in -1..3", "patch resid[L=l, pos=-2] from a into b"],
      "PTCH3006 5:15",
      "L must be at least 0, got -1 (when l = -1)",
    ],
    [
      "the first of several bad values, once",
      ["sweep l in -3..3", "zero resid[L=l] in b"],
      "PTCH3006 5:14",
      "L must be at least 0, got -3 (when l = -3)",
    ],
    [
      "a negative head by default",
      ["param h = -2", "zero z[L=0, head=h] in b"],
      "PTCH3006 5:18",
      "head must be at least 0, got -2 (when h = -2)",
    ],
    [
      "a temperature out of range by default",
      ["param t = -1", "generate 1 from b sample temperature=t"],
      "PTCH3006 5:38",
      "temperature must be at least 0, got -1 (when t = -1)",
    ],
    [
      "a top_p out of range in a sweep",
      ["sweep p in [0.5, 1.5]", "generate 1 from b sample top_p=p"],
      "PTCH3006 5:32",
      "top_p must be greater than 0 and at most 1, got 1.5 (when p = 1.5)",
    ],
    [
      "a generate count below 1 in a sweep",
      ["sweep n in [0, 5]", "generate n from b"],
      "PTCH3003 5:10",
      "generate count must be at least 1, got 0 (when n = 0)",
    ],
    [
      "an empty stop text in a sweep",
      ['sweep s in ["", "."]', "generate 1 from b stop s"],
      "PTCH3011 5:24",
      'the stop text is empty, so generation would stop after the first token (when s = "")',
    ],
    [
      "a span running backwards for some values",
      ["sweep i in [0, 3]", "sweep j in [1, 4]", "zero resid[L=0, pos=i..j] in b"],
      "PTCH3104 6:21",
      "position range 3..1 runs backwards (when i = 3, j = 1)",
    ],
    [
      "a span running backwards, naming only the parameters in it",
      ["sweep l in 0..1", "sweep p in [1, 5]", "zero resid[L=l, pos=p..2] in b"],
      "PTCH3104 6:21",
      "position range 5..2 runs backwards (when p = 5)",
    ],
    [
      "patch spans of unequal length for some values",
      ["sweep n in 1..2", "patch resid[L=1] from a[pos=0..n] into b[pos=0..1]"],
      "PTCH3106 5:42",
      "spans of unequal length: 3 positions against 2 (when n = 2)",
    ],
    [
      "a span patched into generated positions",
      ["param n = 2", "patch resid[L=1] from a[pos=0..n] into b[pos=new]"],
      "PTCH3108 5:42",
      expect.stringMatching(/^generated positions take a single vector, but the value has 3; .* \(when n = 2\)$/),
    ],
    [
      "a division by a parameter that is zero in a sweep",
      ["sweep alpha in [1, 0]", "add 1 / alpha * resid[L=1] of a to resid[L=1] in b"],
      "PTCH3020 5:5",
      "this computes to Infinity; a value must be finite as a 32-bit float (at most about 3.4e38 in size) (when alpha = 0)",
    ],
    [
      "an overflow from a parameter's default",
      ["param big = 1e30", "scale resid[L=1] in b by big * big"],
      "PTCH3020 5:26",
      "this computes to 1.0000000000000001e+60; a value must be finite as a 32-bit float (at most about 3.4e38 in size) (when big = 1e+30)",
    ],
    [
      "an empty position text by default",
      ['param who = ""', "zero resid[L=1, pos=who] in b"],
      "PTCH3021 5:21",
      'an empty text selects no tokens; give the text to select, such as pos="Lily" (when who = "")',
    ],
  ])("reports %s", (_, statements, expected, message) => {
    const source = experiment(...statements);
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toEqual(message);
  });

  it.each([
    ["every value of a sweep in range", ["sweep l in 0..3", "zero resid[L=l] in b"]],
    ["a span whose ends move together", ["sweep s in 0..2", "patch resid[L=1] from a[pos=s..s] into b[pos=s..s]"]],
    [
      "spans whose lengths agree for every value",
      ["sweep n in 1..2", "patch resid[L=1] from a[pos=0..n] into b[pos=0..n]"],
    ],
    ["a negative default where any integer goes", ["param p = -2", "zero resid[L=0, pos=p] in b"]],
    ["a string parameter as a position", ['param who = "c"', "zero resid[L=0, pos=who] in b"]],
    ["an int parameter as a float", ["param t = 1", "generate 1 from b sample temperature=t top_p=t"]],
    ["a division by a parameter that is never zero", ["sweep d in [1, 2]", "scale resid[L=1] in b by 1 / d"]],
    ["a value computed from finite parts", ["param big = 1e30", "scale resid[L=1] in b by 1 / (big * 10) - -big"]],
  ])("accepts %s", (_, statements) => {
    expectValid(experiment(...statements));
  });
});
