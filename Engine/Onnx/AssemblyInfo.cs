using System.Runtime.CompilerServices;

// The ONNX interop tests read ONNX's test-data tensors with the internal TensorProto reader, and the fuzzing harness drives
// every internal reader of untrusted bytes (ONNX, model files, IDX) without going through the file system.
[assembly: InternalsVisibleTo("Engine.Interop.Tests")]
[assembly: InternalsVisibleTo("Engine.Fuzz")]
