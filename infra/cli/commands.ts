/**
 * Commands beyond `plan`, each in its own module (preview, render, diagram, simulate). Kept as a
 * list so main.ts stays small and each command is tested on its own.
 */
import type { Command } from "commander";
import type { Io } from "./common";
import { registerDiagram } from "./diagram";
import { registerLoad } from "./load";
import { registerPreview } from "./preview";
import { registerQuota } from "./quota";
import { registerRender } from "./render";
import { registerSimulate } from "./simulate";
import { registerSmoke } from "./smoke";

export type RegisterCommand = (program: Command, io: Io, setCode: (code: number) => void) => void;

export const registeredCommands: RegisterCommand[] = [
  registerPreview,
  registerRender,
  registerDiagram,
  registerSimulate,
  registerQuota,
  registerSmoke,
  registerLoad,
];
