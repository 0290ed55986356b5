using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Tests.Cli;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>`sample` on a diverged generator: exit 1 and one line naming the file and tensor, no all-NaN .npy.</summary>
public class SampleRefusesNonFiniteTests
{
    [Fact]
    public void SampleRefusesANaNGenerator()
    {
        var dir = Ilgpugan.TempDir();
        try
        {
            using (var backend = new CpuBackend(threads: 1))
            {
                var pixels = new byte[8 * 16];
                using var trainer = new GanTrainer(backend, new GanConfig { Batch = 4, Latent = 4 }, pixels, 8, 16);
                trainer.TrainStep();
                Checkpoint.Save(trainer, dir);
            }
            var g = Path.Combine(dir, Checkpoint.FolderName, "G.safetensors");
            var (tensors, meta) = SafeTensors.Load(g);
            tensors["6.bias"].Floats![3] = float.NaN;
            SafeTensors.Save(g, tensors.Values, meta);
            var npy = Path.Combine(dir, "x.npy");

            var r = Ilgpugan.Run("sample", "--checkpoint", dir, "--out", npy, "--device", "cpu", "--count", "4");

            Assert.Equal(1, r.ExitCode);
            Assert.Equal($"ilgpugan: error: {g}: tensor 6.bias holds a non-finite value (NaN at index 3); the run diverged before this checkpoint was written",
                r.Stderr.TrimEnd().Split('\n')[^1]);
            Assert.False(File.Exists(npy));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
