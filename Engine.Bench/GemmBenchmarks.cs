using BenchmarkDotNet.Attributes;
using Engine.Kernels;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Bench;

/// <summary>
/// C = A·B for square float matrices: the engine's GEMM entry point against MathNet.Numerics (managed
/// provider) and a naive triple loop, side by side in one run.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Gemm")]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private Matrix<float> _ma = null!, _mb = null!, _mc = null!;

    /// <summary>Matrix size n (n×n times n×n).</summary>
    [Params(64, 256)]
    public int N { get; set; }

    /// <summary>Fills A and B with seeded random values.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _a = Enumerable.Range(0, N * N).Select(_ => (float)rng.NextDouble()).ToArray();
        _b = Enumerable.Range(0, N * N).Select(_ => (float)rng.NextDouble()).ToArray();
        _c = new float[N * N];
        _ma = Matrix<float>.Build.Dense(N, N, _a);
        _mb = Matrix<float>.Build.Dense(N, N, _b);
        _mc = Matrix<float>.Build.Dense(N, N);
    }

    /// <summary>The naive i-j-k loop: the baseline.</summary>
    [Benchmark(Baseline = true)]
    public void Naive()
    {
        int n = N;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int k = 0; k < n; k++) s += _a[i * n + k] * _b[k * n + j];
                _c[i * n + j] = s;
            }
    }

    /// <summary>The engine's GEMM (the tier <see cref="Cpu.Tier"/> reports).</summary>
    [Benchmark]
    public void Engine() => Gemm.Multiply(false, false, N, N, N, _a, N, _b, N, 0f, _c, N);

    /// <summary>MathNet.Numerics' managed multiply into a preallocated result.</summary>
    [Benchmark]
    public void MathNet() => _ma.Multiply(_mb, _mc);
}
