using BenchmarkDotNet.Attributes;
using Engine.Kernels;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Bench;

/// <summary>
/// C = op(A)·op(B): the engine's GEMM against MathNet.Numerics (managed provider) and the plain reference
/// loop, side by side in one run; square sizes and the im2col/dense layer shapes of the four benchmark models.
/// </summary>
[BenchmarkCategory("Gemm")]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private Matrix<float> _ma = null!, _mb = null!, _mc = null!;
    private int _m, _n, _k;
    private bool _ta, _tb;

    /// <summary>"M×K×N" with an optional " NT"/" TN" transpose, e.g. "20×9×20280" (paper-mnist conv forward, batch 30).</summary>
    [Params("64×64×64", "128×128×128", "256×256×256", "512×512×512", "1024×1024×1024", "2048×2048×2048",
        "20×9×20280", "20×20280×9 NT", "30×3380×20 NT", "6×48×42050", "16×150×6400", "32×288×131072", "128×4096×256 NT")]
    public string Shape { get; set; } = "";

    /// <summary>Parses the shape and fills A and B with seeded random values.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split(' ');
        var dims = parts[0].Split('×').Select(int.Parse).ToArray();
        (_m, _k, _n) = (dims[0], dims[1], dims[2]);
        _ta = parts.Length > 1 && parts[1][0] == 'T';
        _tb = parts.Length > 1 && parts[1][1] == 'T';
        _a = BenchData.Floats(_m * _k, 1);
        _b = BenchData.Floats(_k * _n, 2);
        _c = new float[_m * _n];
        // MathNet stores column-major: a row-major m×k array is the column-major k×m matrix Aᵀ, so
        // C = A·B is computed as Cᵀ = Bᵀ·Aᵀ on the same arrays.
        _ma = Matrix<float>.Build.Dense(_ta ? _m : _k, _ta ? _k : _m, _a);
        _mb = Matrix<float>.Build.Dense(_tb ? _k : _n, _tb ? _n : _k, _b);
        _mc = Matrix<float>.Build.Dense(_n, _m);
    }

    /// <summary>The engine's GEMM on the tier <see cref="Cpu.Tier"/> reports.</summary>
    [Benchmark(Baseline = true)]
    public void Engine() =>
        Gemm.Multiply(_ta, _tb, _m, _n, _k, _a, _ta ? _m : _k, _b, _tb ? _k : _n, 0f, _c, _n);

    /// <summary>The plain reference loop (the oracle).</summary>
    [Benchmark]
    public void Reference() =>
        GemmReference.Multiply(_ta, _tb, _m, _n, _k, _a, _ta ? _m : _k, _b, _tb ? _k : _n, 0f, _c, _n);

    /// <summary>MathNet.Numerics' managed multiply into a preallocated result.</summary>
    [Benchmark]
    public void MathNet()
    {
        var left = _tb ? _mb.Transpose() : _mb;
        var right = _ta ? _ma.Transpose() : _ma;
        left.Multiply(right, _mc);
    }
}
