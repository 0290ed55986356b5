namespace IlgpuGan.Engine.Gan;

/// <summary>
/// Paths through latent space for morphing animations. Interpolation is spherical (slerp): z is
/// standard normal, so its mass sits on a shell of radius about sqrt(Latent); a straight line
/// between two draws cuts inside that shell, where G has rarely been trained, and washes the
/// middle frames out. Slerp keeps the norm (for equal-norm endpoints) along the way.
/// </summary>
public static class LatentPath
{
    // Below this sin Ω the slerp weights are 0/0-like; the vectors are (anti)parallel and lerp is as good.
    const double ParallelEpsilon = 1e-6;

    /// <summary>
    /// slerp(a, b, t) = sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b with Ω = arccos(â·b̂), written to
    /// <paramref name="result"/>; lerp when sin Ω ≈ 0 (parallel, antiparallel or zero vectors).
    /// t = 0 and t = 1 give a and b exactly.
    /// </summary>
    public static void Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t, Span<float> result)
    {
        if (a.Length != b.Length || result.Length != a.Length)
            throw new ArgumentException($"slerp needs vectors of one length, got {a.Length}, {b.Length} and room for {result.Length}");
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        double cos = aa > 0 && bb > 0 ? Math.Clamp(dot / Math.Sqrt(aa * bb), -1, 1) : 1;
        double omega = Math.Acos(cos), sin = Math.Sin(omega);
        double wa, wb;
        if (sin < ParallelEpsilon) (wa, wb) = (1 - t, t);
        else (wa, wb) = (Math.Sin((1 - t) * omega) / sin, Math.Sin(t * omega) / sin);
        for (int i = 0; i < a.Length; i++)
            result[i] = (float)(wa * a[i] + wb * b[i]);
    }

    /// <summary>(1 − t)·a + t·b: for class blocks, where a straight line through the simplex is the natural path.</summary>
    public static void Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t, Span<float> result)
    {
        for (int i = 0; i < a.Length; i++) result[i] = (float)((1 - t) * a[i] + t * b[i]);
    }

    /// <summary>frames rows from a to b inclusive: the first row is a, the last is b (frames ≥ 2); slerp, or lerp when not <paramref name="spherical"/>.</summary>
    public static float[] Between(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int frames, bool spherical = true)
    {
        if (frames < 2) throw new ArgumentOutOfRangeException(nameof(frames), $"a path needs at least 2 frames, got {frames}");
        int d = a.Length;
        var path = new float[(long)frames * d];
        for (int f = 0; f < frames; f++)
        {
            double t = (double)f / (frames - 1);
            if (spherical) Slerp(a, b, t, path.AsSpan(f * d, d));
            else Lerp(a, b, t, path.AsSpan(f * d, d));
        }
        return path;
    }

    /// <summary>
    /// frames rows along the closed loop key 0 → key 1 → … → key K−1 → key 0, evenly spaced in
    /// segments. The first row is key 0 and the loop's end (key 0 again) is left out, so an
    /// animation that repeats the rows shows no doubled frame at the seam.
    /// </summary>
    /// <param name="keys">K rows of <paramref name="latent"/> values, K ≥ 2.</param>
    /// <summary>Rows [z, class block] for a conditional G: z repeated on every row, then the class rows.</summary>
    public static float[] WithClasses(ReadOnlySpan<float> z, ReadOnlySpan<float> classRows, int classes, int frames)
    {
        int width = z.Length + classes;
        var rows = new float[(long)frames * width];
        for (int f = 0; f < frames; f++)
        {
            z.CopyTo(rows.AsSpan(f * width, z.Length));
            classRows.Slice(f * classes, classes).CopyTo(rows.AsSpan(f * width + z.Length, classes));
        }
        return rows;
    }

    /// <summary>One-hot rows [count, classes] of the given classes.</summary>
    public static float[] OneHot(ReadOnlySpan<int> classOf, int classes)
    {
        var rows = new float[classOf.Length * classes];
        for (int i = 0; i < classOf.Length; i++) rows[i * classes + classOf[i]] = 1f;
        return rows;
    }

    public static float[] Loop(ReadOnlySpan<float> keys, int latent, int frames, bool spherical = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(latent);
        if (keys.Length % latent != 0 || keys.Length / latent < 2)
            throw new ArgumentException($"a loop needs at least 2 keys of {latent} values, got {keys.Length} values", nameof(keys));
        if (frames < 2) throw new ArgumentOutOfRangeException(nameof(frames), $"a loop needs at least 2 frames, got {frames}");
        int k = keys.Length / latent;
        var path = new float[(long)frames * latent];
        for (int f = 0; f < frames; f++)
        {
            double u = (double)f * k / frames;   // position along the loop, in segments: [0, K)
            int segment = Math.Min((int)u, k - 1);
            var from = keys.Slice(segment * latent, latent);
            var to = keys.Slice((segment + 1) % k * latent, latent);
            if (spherical) Slerp(from, to, u - segment, path.AsSpan(f * latent, latent));
            else Lerp(from, to, u - segment, path.AsSpan(f * latent, latent));
        }
        return path;
    }
}
