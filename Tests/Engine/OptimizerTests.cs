using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// The optimizers over a real model: state survives a save/load round trip exactly (through a
/// safetensors file, as a checkpoint stores it), a step allocates nothing, and mismatched state
/// and bad settings are clear errors.
/// </summary>
public sealed class OptimizerTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    static readonly LayerSpec[] Spec = [new LinearSpec(4, 8), ActivationSpec.LeakyReLU(0.2f), new BatchNorm1dSpec(8), new LinearSpec(8, 3)];

    // Momentum and weight decay on, so every term of every update runs, and no setting at torch's
    // default, so an optimizer that ignored one would show.
    static readonly OptimizerSettings Settings = new()
    {
        Lr = 1e-2, Beta1 = 0.5, Beta2 = 0.99, Alpha = 0.9, Momentum = 0.9, Eps = 1e-6, WeightDecay = 1e-2,
    };

    static Sequential Model(IBackend b) => new(b, Spec, 4, 2, initSeed: 5);

    static int[] Bits(Tensor t) => t.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    static int[] StateBits(IOptimizer o) =>
        o.State("").SelectMany(t => t.Floats ?? []).Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>Fresh pseudo-random gradients for step <paramref name="step"/>, the same for every model.</summary>
    static void Gradients(IBackend b, Sequential m, int step) => b.RandomNormal(m.Gradients, new(11, (uint)step, 0), 0f, 1e-2f);

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Rmsprop)]
    [InlineData(OptimizerKind.Sgd)]
    public void State_round_trip_restores_the_exact_next_step(OptimizerKind name)
    {
        var b = fixture.Backend;
        using var ma = Model(b);
        using var mb = Model(b);
        using var mc = Model(b);
        using var a = Optimizers.Create(name, b, ma, Settings);
        using var o = Optimizers.Create(name, b, mb, Settings);
        using var fresh = Optimizers.Create(name, b, mc, Settings);
        for (int step = 1; step <= 3; step++)
        {
            Gradients(b, ma, step);
            a.Step();
        }

        string path = Path.Combine(Path.GetTempPath(), $"ilgpugan-optim-{name}-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, a.State("G."));
            o.LoadState(SafeTensors.Load(path).Tensors, "G.", path);
        }
        finally { File.Delete(path); }
        Assert.Equal(3, o.StepCount);
        foreach (var m in new[] { mb, mc }) m.Parameters.CopyFrom(ma.Parameters.ToArray());

        foreach (var (m, opt) in new[] { (ma, a), (mb, o), (mc, fresh) })
        {
            Gradients(b, m, 4);
            opt.Step();
        }
        Assert.Equal(Bits(ma.Parameters), Bits(mb.Parameters));
        Assert.Equal(StateBits(a), StateBits(o));
        Assert.Equal(4, o.StepCount);
        // Without the loaded state the same step lands elsewhere: the round trip carried something.
        Assert.NotEqual(Bits(ma.Parameters), Bits(mc.Parameters));
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, new[] { ".exp_avg", ".exp_avg_sq" })]
    [InlineData(OptimizerKind.Rmsprop, new[] { ".square_avg" })]
    [InlineData(OptimizerKind.Sgd, new[] { ".momentum_buffer" })]
    public void State_uses_torch_names_in_parameter_order(OptimizerKind name, string[] suffixes)
    {
        using var m = Model(fixture.Backend);
        using var opt = Optimizers.Create(name, fixture.Backend, m, Settings);
        Assert.Equal(Kinds.Name(name), opt.Name);
        var expected = new List<string> { "D.step" };
        foreach (var s in m.ParameterSlots) expected.AddRange(suffixes.Select(x => "D." + s.Name + x));
        var state = opt.State("D.").ToList();
        Assert.Equal(expected, state.Select(t => t.Name));
        Assert.All(state.Skip(1), t => Assert.Equal(m.ParameterSlots.Single(s => t.Name.StartsWith("D." + s.Name + ".")).Shape, t.Shape));
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Rmsprop)]
    [InlineData(OptimizerKind.Sgd)]
    public void A_step_allocates_no_device_memory(OptimizerKind name)
    {
        var (b, counter) = CountingBackend.Wrap(fixture.Backend);
        using var m = Model(b);
        int beforeOptimizer = counter.Allocations;
        using var opt = Optimizers.Create(name, b, m, Settings);
        int afterOptimizer = counter.Allocations;
        Assert.True(afterOptimizer > beforeOptimizer, "the optimizer allocates its state in the constructor");
        for (int i = 0; i < 3; i++) opt.Step();
        Assert.Equal(afterOptimizer, counter.Allocations);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, OptimizerKind.Rmsprop)]
    [InlineData(OptimizerKind.Rmsprop, OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Sgd, OptimizerKind.Adam)]
    public void Loading_another_optimizers_state_is_a_clear_error_and_changes_nothing(OptimizerKind saved, OptimizerKind loading)
    {
        var b = fixture.Backend;
        using var m = Model(b);
        using var writer = Optimizers.Create(saved, b, m, Settings);
        writer.Step();
        using var reader = Optimizers.Create(loading, b, m, Settings);
        var state = writer.State("G.").ToDictionary(t => t.Name);
        var e = Assert.Throws<GanException>(() => reader.LoadState(state, "G.", "run/optimizer.safetensors"));
        Assert.StartsWith("run/optimizer.safetensors: missing G.", e.Message);
        Assert.Contains($"which {Kinds.Name(loading)} needs", e.Message);
        Assert.Contains($"holds {Kinds.Name(saved)} state", e.Message);
        Assert.Equal(0, reader.StepCount);
    }

    [Fact]
    public void A_mis_sized_tensor_is_a_clear_error()
    {
        using var m = Model(fixture.Backend);
        using var opt = Optimizers.Create(OptimizerKind.Rmsprop, fixture.Backend, m, Settings);
        var state = opt.State("").ToDictionary(t => t.Name);
        var first = m.ParameterSlots.First();
        state[first.Name + ".square_avg"] = new NamedArray(first.Name + ".square_avg", [1], Floats: [0f]);
        var e = Assert.Throws<GanException>(() => opt.LoadState(state, "", "opt.safetensors"));
        Assert.Contains($"{first.Name}.square_avg has 1 values", e.Message);
    }

    [Fact]
    public void An_unknown_optimizer_or_bad_setting_names_the_setting()
    {
        using var m = Model(fixture.Backend);
        Assert.Throws<InvalidSettingException>(() => Optimizers.Create((OptimizerKind)99, fixture.Backend, m, Settings));
        Assert.Equal(nameof(OptimizerSettings.Momentum), Assert.Throws<InvalidSettingException>(() => Optimizers.Create(OptimizerKind.Sgd, fixture.Backend, m, Settings with { Momentum = -1 })).Setting);
        var beta = Assert.Throws<InvalidSettingException>(() => Optimizers.Create(OptimizerKind.Adam, fixture.Backend, m, Settings with { Beta2 = 1 }));
        Assert.Equal(("Beta2", "must be in [0, 1)", "1"), (beta.Setting, beta.Rule, beta.Value));
        Assert.Equal("Lr", Assert.Throws<InvalidSettingException>(() => Optimizers.Create(OptimizerKind.Rmsprop, fixture.Backend, m, Settings with { Lr = double.NaN })).Setting);
    }

    /// <summary>
    /// Two steps of each optimizer over the model match its float64 reference with the same
    /// settings: the classes hand every hyperparameter to the right place.
    /// </summary>
    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Rmsprop)]
    [InlineData(OptimizerKind.Sgd)]
    public void Each_optimizer_follows_its_reference_with_the_given_settings(OptimizerKind name)
    {
        var b = fixture.Backend;
        var s = Settings;
        using var m = Model(b);
        using var opt = Optimizers.Create(name, b, m, s);
        var p = m.Parameters.ToArray().Select(x => (double)x).ToArray();
        var buf1 = new double[p.Length]; var buf2 = new double[p.Length];
        for (int step = 1; step <= 2; step++)
        {
            Gradients(b, m, step);
            var g = m.Gradients.ToArray();
            opt.Step();
            switch (name)
            {
                case OptimizerKind.Adam: AdamKernels.StepReference(p, g, buf1, buf2, s.Lr, s.Beta1, s.Beta2, s.Eps, s.WeightDecay, step); break;
                case OptimizerKind.Rmsprop: RmsPropKernels.StepReference(p, g, buf1, s.Lr, s.Alpha, s.Eps, s.WeightDecay); break;
                default: SgdKernels.StepReference(p, g, buf1, s.Lr, s.Momentum, s.WeightDecay, step); break;
            }
        }
        var got = m.Parameters.ToArray();
        double err = got.Select((x, i) => Math.Abs(x - p[i])).Max();
        Assert.True(err <= 1e-6, $"{name}: parameters differ from the reference by {err:E2}");
    }
}
