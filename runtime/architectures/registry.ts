// The supported architectures, found by the name a file gives: config.json's `architectures` or GGUF's
// `general.architecture`. Supporting another is a file beside these and a line here.

import { ModelFormatError } from "../errors.js";
import { quotedFromFile } from "../../foundation/text.js";
import type { Architecture } from "./architecture.js";
import { gpt2 } from "./gpt2.js";
import { gptNeox } from "./gpt-neox.js";
import { llama } from "./llama.js";

const ARCHITECTURES: readonly Architecture[] = [gpt2, gptNeox, llama];

export const SUPPORTED_HF_CLASSES = ARCHITECTURES.flatMap((a) => a.hfClasses);
export const SUPPORTED_GGUF_ARCHITECTURES = ARCHITECTURES.flatMap((a) => a.ggufArchitectures);

export function hfArchitecture(name: string, file: string): Architecture {
  const found = ARCHITECTURES.find((a) => a.hfClasses.includes(name));
  if (!found) {
    throw new ModelFormatError(
      `architecture ${quotedFromFile(name)} is not supported; supported: ${SUPPORTED_HF_CLASSES.join(", ")}`,
      file,
    );
  }
  return found;
}

export function ggufArchitecture(name: string, file: string | undefined): Architecture {
  const found = ARCHITECTURES.find((a) => a.ggufArchitectures.includes(name));
  if (!found) {
    throw new ModelFormatError(
      `architecture ${quotedFromFile(name)} is not supported; supported in GGUF files: ${SUPPORTED_GGUF_ARCHITECTURES.join(", ")}`,
      file,
    );
  }
  return found;
}
