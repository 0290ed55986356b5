using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// A torch.optim optimizer over one model's flat parameter buffer. Its state lives in flat device
/// buffers of the same layout, allocated by the constructor; <see cref="Step"/> is one launch and
/// allocates nothing.
/// </summary>
public interface IOptimizer : IDisposable
{
    /// <summary>"adam", "rmsprop" or "sgd", as the command line names it.</summary>
    string Name { get; }

    /// <summary>Learning rate; settable for schedules.</summary>
    double Lr { get; set; }

    /// <summary>Steps taken so far (torch's state["step"]).</summary>
    long StepCount { get; }

    /// <summary>The per-parameter state buffers, whole (what a checkpoint saves; checked for divergence).</summary>
    IReadOnlyList<Tensor> StateTensors { get; }

    /// <summary>Updates the model's parameters from its gradients.</summary>
    void Step();

    /// <summary>The step and the per-parameter state under torch's names, each prefixed with <paramref name="prefix"/>.</summary>
    IEnumerable<NamedArray> State(string prefix);

    /// <summary>
    /// Restores what <see cref="State"/> wrote; throws <see cref="GanException"/> naming
    /// <paramref name="source"/> when a tensor is missing or has the wrong size (for instance,
    /// state saved by another optimizer), before changing anything.
    /// </summary>
    void LoadState(IReadOnlyDictionary<string, NamedArray> state, string prefix, string source);
}
