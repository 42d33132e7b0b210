// Errors about encoder models, as values with a code the app and CLI can act on (the previous model stays loaded).

export type ModelErrorCode =
  | 'not-found' // no model with that id / no such file
  | 'manifest-invalid' // manifest.json missing, unparsable or incomplete
  | 'checksum-mismatch' // the ONNX file is not the one the manifest describes
  | 'onnx-invalid' // onnxruntime cannot load the file
  | 'graph-mismatch' // the graph's inputs/outputs disagree with the manifest
  | 'already-exists' // import would overwrite a different model with the same id
  | 'inference-failed';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isModelError(err: unknown): err is ModelError {
  return err instanceof ModelError;
}
