// ptch's package entry: compile .ptch source to a plan, and run plans on a model.

export * from "./compiler/index.js";
export * from "./runtime/index.js";
export * from "./compiler/types.js";
