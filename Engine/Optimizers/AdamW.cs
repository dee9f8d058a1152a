using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019), PyTorch's <c>torch.optim.AdamW</c>: Adam with decoupled weight decay.
/// Each step first decays the weights, <c>w ← w − η·wd·w</c>, then takes the <see cref="Adam"/> step on the
/// gradient (no L2 term unless <see cref="OptimizerStep.WeightL2"/> asks for one). The decay applies to the weights
/// (the first <see cref="OptimizerStep.DecayedCount"/> parameters) only, and adds to
/// <see cref="OptimizerStep.WeightDecay"/> if that is set too. Keeps two moments per parameter.
/// </summary>
/// <remarks>
/// Exact operations: <c>d = fma(λ, w, g)</c> (λ = 0 unless given); <c>w = w · fma(−η, wd, 1)</c>; then Adam's
/// sequence (see <see cref="Adam"/>) on <c>w</c> and <c>d</c>. With wd = 0 it gives Adam's bits.
/// </remarks>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates AdamW.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="beta1">Decay β1 of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay β2 of the second moment, in [0, 1).</param>
    /// <param name="epsilon">ε added to √v̂ in the denominator, a positive finite number.</param>
    /// <param name="weightDecay">Decoupled weight decay wd of the weights, a finite number ≥ 0 (PyTorch's default 0.01).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public AdamW(float eta, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(eta, stateVectorCount: 2)
    {
        Adam.CheckHyperParameters("adamw", beta1, beta2, epsilon);
        CheckNonNegative("adamw", nameof(weightDecay), weightDecay);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>The decay β1 of the first moment m.</summary>
    public float Beta1 { get; }

    /// <summary>The decay β2 of the second moment v.</summary>
    public float Beta2 { get; }

    /// <summary>ε, added to √v̂ in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <summary>The decoupled weight decay wd applied to the weights each step.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc />
    public override string Name => "adamw";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Name}(eta={Eta}, beta1={Beta1}, beta2={Beta2}, epsilon={Epsilon}, weightDecay={WeightDecay})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice)
        => slice.Apply(AdamRule.ForStep(slice.LearningRate, Beta1, Beta2, Epsilon, slice.StepNumber),
                       slice.IsWeights ? WeightDecay : 0f);
}
