// Builds an ONNX ModelProto in memory: named values, operator nodes, initializers, graph inputs and outputs.
// Field numbers follow onnx.proto (IR version 8, default-domain opset 17).

import { elementCount } from "../../foundation/text.js";
import type { TensorData } from "../architectures/config.js";
import { ProtoWriter } from "./protobuf.js";

export const OPSET_VERSION = 17;
const IR_VERSION = 8;
/** TensorProto.DataLocation.EXTERNAL */
const DATA_LOCATION_EXTERNAL = 1;

export const enum ElemType {
  Float = 1,
  Uint8 = 2,
  Int32 = 6,
  Int64 = 7,
}

/** A dimension: a fixed size, or a symbolic name for a size that varies between runs. */
export type Dim = number | string;

export type AttributeValue = number | string | number[] | { float: number };

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of dims) {
    const d = new ProtoWriter();
    if (typeof dim === "number") d.int(1, dim);
    else d.string(2, dim);
    shape.message(1, d);
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function attribute(name: string, value: AttributeValue): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use {float} for non-integers`);
    return a.int(3, value).int(20, ATTR_INT);
  }
  if (typeof value === "string") return a.string(4, value).int(20, ATTR_STRING);
  if (Array.isArray(value)) return a.packedInts(8, value).int(20, ATTR_INTS);
  return a.float(2, value.float).int(20, ATTR_FLOAT);
}

interface NodeRecord {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  encoded: ProtoWriter;
}

interface Port {
  name: string;
  info: ProtoWriter;
}

/** Where a graph is split so that TypeScript can transform a value between two onnxruntime runs. */
interface Cut {
  /** The value handed to TypeScript: an output of the segment before the cut. */
  value: string;
  /** The name the segment after the cut reads TypeScript's result under. */
  replacement: string;
  /** Nodes before this index belong to earlier segments. */
  nodeIndex: number;
}

/** One piece of a split graph: its model bytes and the names it reads and writes. */
export interface GraphSegment {
  bytes: Uint8Array;
  inputs: string[];
  outputs: string[];
  /** The cut that ends this segment (all but the last): run TypeScript on `value`, feed `replacement`. */
  cut?: { value: string; replacement: string };
  /**
   * Whether onnxruntime should repack the segment's constant matrices into its kernels' layouts: MatMulNBits
   * multiplies quickly only by weights packed so (at least 7× slower without), while float32 matrices, mapped
   * from the weights file, decode as fast unpacked and packing would hold them twice.
   */
  prepack: boolean;
}

/**
 * Accumulates a graph. Every method returns the names of the values it creates, so model code reads as
 * dataflow: `const y = g.op("MatMul", [x, w])`.
 */
/** onnxruntime's contrib operators, which its CPU provider implements besides the standard ones. */
export const CONTRIB_DOMAIN = "com.microsoft";

export class GraphBuilder {
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers = new Map<string, ProtoWriter>();
  /** Each weight's initializer, so that a tied matrix given twice is stored once. */
  private readonly weightNames = new Map<TensorData, string>();
  private readonly inputs: Port[] = [];
  private readonly outputs: Port[] = [];
  private readonly cuts: Cut[] = [];
  /** Element types of values that are not float (graph inputs and Cast outputs). */
  private readonly nonFloat = new Map<string, ElemType>();
  private readonly int64Constants = new Map<string, string>();
  private counter = 0;

  /** A new value name, unique in the graph. */
  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push({ name, info: valueInfo(name, elemType, dims) });
    if (elemType !== ElemType.Float) this.nonFloat.set(name, elemType);
    return name;
  }

  /** Marks `value` as a graph output under `name` (an Identity node renames it when needed). */
  output(name: string, value: string, elemType: ElemType, dims: readonly Dim[]): void {
    if (value !== name) this.op("Identity", [value], {}, name);
    this.outputs.push({ name, info: valueInfo(name, elemType, dims) });
  }

  /**
   * A weight, `dims` row-major and outermost first, float32 unless `elemType` says uint8 (quantized codes):
   * values in memory, stored in the model, or a slice of a weights file, which the model refers to as ONNX
   * external data so that onnxruntime maps it rather than copying it (and no model approaches protobuf's 2 GiB
   * limit).
   */
  weight(
    hint: string,
    data: TensorData,
    dims: readonly number[],
    elemType: ElemType.Float | ElemType.Uint8 = ElemType.Float,
  ): string {
    const known = this.weightNames.get(data);
    if (known) return known;
    const expected = elementCount(dims) * (elemType === ElemType.Uint8 ? 1 : Float32Array.BYTES_PER_ELEMENT);
    const byteLength = data instanceof Float32Array ? data.byteLength : data.length;
    if (expected !== byteLength) throw new Error(`weight ${hint}: ${byteLength} bytes for shape [${dims}]`);
    const name = this.fresh(hint);
    const tensor = new ProtoWriter().packedInts(1, dims).int(2, elemType).string(8, name);
    if (elemType !== ElemType.Float) this.nonFloat.set(name, elemType);
    if (data instanceof Float32Array) {
      tensor.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
      tensor.message(13, entry("location", data.location));
      tensor.message(13, entry("offset", String(data.offset))).message(13, entry("length", String(data.length)));
      tensor.int(14, DATA_LOCATION_EXTERNAL);
    }
    this.initializers.set(name, tensor);
    this.weightNames.set(data, name);
    return name;
  }

  /** An int64 constant (shapes, axes, split sizes); identical constants are shared. */
  int64(values: readonly number[]): string {
    const key = values.join(",");
    const existing = this.int64Constants.get(key);
    if (existing) return existing;
    const name = this.fresh("const_i64");
    const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
    this.initializers.set(
      name,
      new ProtoWriter().packedInts(1, [values.length]).int(2, ElemType.Int64).string(8, name).bytes(9, raw),
    );
    this.int64Constants.set(key, name);
    this.nonFloat.set(name, ElemType.Int64);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.weight("const_f32", Float32Array.of(value), []);
  }

  /** Adds one node with a single output and returns the output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttributeValue> = {},
    outputName?: string,
  ): string {
    const [out] = this.opMulti(opType, inputs, 1, attrs, outputName ? [outputName] : undefined);
    return out!;
  }

  /**
   * Adds one node of onnxruntime's contrib operators (domain com.microsoft), which fuse what standard operators
   * would do in several passes: `FusedMatMul` multiplies by a transposed matrix without copying it.
   */
  contribOp(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}): string {
    return this.opMulti(opType, inputs, 1, attrs, undefined, CONTRIB_DOMAIN)[0]!;
  }

  /** Adds one node with several outputs. */
  opMulti(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attrs: Record<string, AttributeValue> = {},
    outputNames?: readonly string[],
    domain?: string,
  ): string[] {
    const outputs = outputNames ? [...outputNames] : Array.from({ length: outputCount }, () => this.fresh(opType));
    const node = new ProtoWriter();
    for (const i of inputs) node.string(1, i);
    for (const o of outputs) node.string(2, o);
    node.string(3, this.fresh(`node_${opType}`)).string(4, opType);
    if (domain !== undefined) node.string(7, domain);
    for (const [name, value] of Object.entries(attrs)) node.message(5, attribute(name, value));
    this.nodes.push({ opType, inputs, outputs, encoded: node });
    const outputType = resultType(opType, attrs, this.nonFloat.get(inputs[0] ?? ""));
    if (outputType !== undefined && outputType !== ElemType.Float)
      for (const o of outputs) this.nonFloat.set(o, outputType);
    return outputs;
  }

  /**
   * Splits the graph after `value` (a float tensor): the nodes added from now on read `replacement` instead,
   * which the caller computes from `value` between two runs. Returns the replacement's name.
   */
  cut(value: string, replacement: string): string {
    // The runner reads a cut's value from the segment the cut ends, so the value must be computed in it.
    const previous = this.cuts.at(-1);
    const definedSince = this.nodes.slice(previous?.nodeIndex ?? 0).some((n) => n.outputs.includes(value));
    if (!definedSince && !this.inputs.some((p) => p.name === value)) {
      throw new Error(`cut at ${replacement}: ${value} was computed before the previous cut`);
    }
    this.cuts.push({ value, replacement, nodeIndex: this.nodes.length });
    return replacement;
  }

  /**
   * The graph as consecutive segments, one more than there are cuts. A value computed in one segment and used
   * in a later one becomes an output of the first and an input of the second.
   */
  toSegments(graphName: string): GraphSegment[] {
    const bounds = [0, ...this.cuts.map((c) => c.nodeIndex), this.nodes.length];
    const ranges = bounds.slice(1).map((end, i) => this.nodes.slice(bounds[i], end));
    const definedIn = new Map<string, number>();
    ranges.forEach((nodes, s) => nodes.forEach((n) => n.outputs.forEach((o) => definedIn.set(o, s))));
    const graphInputs = new Map(this.inputs.map((p) => [p.name, p]));
    const graphOutputs = new Set(this.outputs.map((p) => p.name));
    // Values each segment must hand on: used later, or the value of the cut that ends it.
    const handedOn = ranges.map(() => new Set<string>());
    ranges.forEach((nodes, s) => {
      for (const n of nodes)
        for (const i of n.inputs) if ((definedIn.get(i) ?? s) < s) handedOn[definedIn.get(i)!]!.add(i);
    });
    this.cuts.forEach((c, s) => handedOn[s]!.add(c.value));
    const cutOf = new Map(this.cuts.map((c) => [c.replacement, c]));

    return ranges.map((nodes, s) => {
      const used = new Set(nodes.flatMap((n) => n.inputs));
      const inputs: Port[] = [];
      for (const name of used) {
        const port = graphInputs.get(name);
        // A cut's replacement is computed between runs, so every segment that reads it takes it as an input.
        const cut = cutOf.get(name);
        if (port) inputs.push(port);
        else if (cut) inputs.push({ name, info: this.anyShape(name, cut.value) });
        else if (definedIn.get(name) !== undefined && definedIn.get(name)! < s)
          inputs.push({ name, info: this.anyShape(name) });
      }
      const outputs: Port[] = [
        ...this.outputs.filter((p) => definedIn.get(p.name) === s),
        ...[...handedOn[s]!]
          .filter((name) => !graphOutputs.has(name))
          .map((name) => ({ name, info: this.anyShape(name) })),
      ];
      const graph = new ProtoWriter();
      for (const n of nodes) graph.message(1, n.encoded);
      graph.string(2, graphName);
      for (const [name, init] of this.initializers) if (used.has(name)) graph.message(5, init);
      for (const i of inputs) graph.message(11, i.info);
      for (const o of outputs) graph.message(12, o.info);
      const opset = new ProtoWriter().string(1, "").int(2, OPSET_VERSION);
      const contribOpset = new ProtoWriter().string(1, CONTRIB_DOMAIN).int(2, 1);
      const cut = this.cuts[s];
      return {
        bytes: new ProtoWriter()
          .int(1, IR_VERSION)
          .message(8, opset)
          .message(8, contribOpset)
          .string(2, "ptch")
          .message(7, graph)
          .finish(),
        inputs: inputs.map((p) => p.name),
        outputs: outputs.map((p) => p.name),
        ...(cut ? { cut: { value: cut.value, replacement: cut.replacement } } : {}),
        prepack: nodes.some((n) => n.opType === "MatMulNBits"),
      };
    });
  }

  /** A value's type with its shape left open: segment boundaries carry whatever shape flows. */
  private anyShape(name: string, typedLike: string = name): ProtoWriter {
    const tensorType = new ProtoWriter().int(1, this.nonFloat.get(typedLike) ?? ElemType.Float);
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
  }
}

/** Ops whose outputs have the element type of their first input. */
const TYPE_PRESERVING_OPS = new Set([
  "Add",
  "Concat",
  "Expand",
  "Gather",
  "Identity",
  "Mul",
  "Range",
  "Reshape",
  "Slice",
  "Split",
  "Squeeze",
  "Sub",
  "Transpose",
  "Unsqueeze",
]);

/**
 * The element type of an op's outputs where it is not float, which a value handed between segments must declare:
 * Shape and Size give int64, Cast its target, and shape arithmetic keeps its input's type.
 */
function resultType(
  opType: string,
  attrs: Record<string, AttributeValue>,
  firstInput: ElemType | undefined,
): ElemType | undefined {
  if (opType === "Shape" || opType === "Size") return ElemType.Int64;
  if (opType === "Cast") return typeof attrs["to"] === "number" ? (attrs["to"] as ElemType) : undefined;
  return TYPE_PRESERVING_OPS.has(opType) ? firstInput : undefined;
}
