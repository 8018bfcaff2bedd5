// The public library entry of loraforge. Each layer's index.ts is its public face.
export * from "./tensor/index.js";
export { LoraforgeError, ShapeError, InputError, ConfigError } from "./util/errors.js";
export { packageVersion } from "./util/package-info.js";
