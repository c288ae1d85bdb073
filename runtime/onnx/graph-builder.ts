// Builds an ONNX ModelProto in memory: named values, operator nodes, initializers, graph inputs and outputs.
// Field numbers follow onnx.proto (IR version 8, default-domain opset 17).

import { ProtoWriter } from "./protobuf.js";

export const OPSET_VERSION = 17;
const IR_VERSION = 8;

export const enum ElemType {
  Float = 1,
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

/**
 * Accumulates a graph. Every method returns the names of the values it creates, so model code reads as
 * dataflow: `const y = g.op("MatMul", [x, w])`.
 */
export class GraphBuilder {
  private readonly nodes: ProtoWriter[] = [];
  private readonly initializers: ProtoWriter[] = [];
  private readonly inputs: ProtoWriter[] = [];
  private readonly outputs: ProtoWriter[] = [];
  private readonly int64Constants = new Map<string, string>();
  private counter = 0;

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Marks `value` as a graph output under `name` (an Identity node renames it when needed). */
  output(name: string, value: string, elemType: ElemType, dims: readonly Dim[]): void {
    if (value !== name) this.op("Identity", [value], {}, name);
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 weight stored in the model. `dims` is row-major, outermost first. */
  weight(hint: string, data: Float32Array, dims: readonly number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`weight ${hint}: ${data.length} values for shape [${dims}]`);
    const name = this.fresh(hint);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push(new ProtoWriter().packedInts(1, dims).int(2, ElemType.Float).string(8, name).bytes(9, raw.slice()));
    return name;
  }

  /** An int64 constant (shapes, axes, split sizes); identical constants are shared. */
  int64(values: readonly number[]): string {
    const key = values.join(",");
    const existing = this.int64Constants.get(key);
    if (existing) return existing;
    const name = this.fresh("const_i64");
    const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
    this.initializers.push(new ProtoWriter().packedInts(1, [values.length]).int(2, ElemType.Int64).string(8, name).bytes(9, raw));
    this.int64Constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.weight("const_f32", Float32Array.of(value), []);
  }

  /** Adds one node with a single output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}, outputName?: string): string {
    const [out] = this.opMulti(opType, inputs, 1, attrs, outputName ? [outputName] : undefined);
    return out!;
  }

  /** Adds one node with several outputs. */
  opMulti(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attrs: Record<string, AttributeValue> = {},
    outputNames?: readonly string[],
  ): string[] {
    const outputs = outputNames ? [...outputNames] : Array.from({ length: outputCount }, () => this.fresh(opType));
    const node = new ProtoWriter();
    for (const i of inputs) node.string(1, i);
    for (const o of outputs) node.string(2, o);
    node.string(3, this.fresh(`node_${opType}`)).string(4, opType);
    for (const [name, value] of Object.entries(attrs)) node.message(5, attribute(name, value));
    this.nodes.push(node);
    return outputs;
  }

  toBytes(graphName: string): Uint8Array {
    const graph = new ProtoWriter();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, graphName);
    for (const t of this.initializers) graph.message(5, t);
    for (const i of this.inputs) graph.message(11, i);
    for (const o of this.outputs) graph.message(12, o);
    const opset = new ProtoWriter().string(1, "").int(2, OPSET_VERSION);
    return new ProtoWriter().int(1, IR_VERSION).message(8, opset).string(2, "ptch").message(7, graph).finish();
  }
}
