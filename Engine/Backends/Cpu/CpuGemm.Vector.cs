using System.Runtime.Intrinsics;

namespace IlgpuGan.Engine.Backends.Cpu;

// Matrix-vector products (m == 1 or n == 1): the tile machinery would spend most of its lanes on
// padding there, and the GAN's one-output layer makes them every step.
public static unsafe partial class CpuGemm
{
    /// <summary>Computes the product directly when one side of C is 1; false when it is not such a product.</summary>
    static bool TryVector(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB, bool accumulate, Isa isa)
    {
        if (n == 1)
        {
            // C (m×1) = op(A)·x, where x = B is contiguous whatever transB says.
            if (!transA)
            {
                for (int i = 0; i < m; i++)
                {
                    float d = Dot(isa, a + (nint)i * k, b, k);
                    c[i] = accumulate ? c[i] + d : d;
                }
            }
            else
            {
                // A stored k×m: C += Σp x[p]·A[p, :].
                if (!accumulate) new Span<float>(c, m).Clear();
                for (int p = 0; p < k; p++) Axpy(isa, b[p], a + (nint)p * m, c, m);
            }
            return true;
        }
        if (m == 1)
        {
            // C (1×n) = y·op(B), where y = A is contiguous whatever transA says.
            if (!transB)
            {
                if (!accumulate) new Span<float>(c, n).Clear();
                for (int p = 0; p < k; p++) Axpy(isa, a[p], b + (nint)p * n, c, n);
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    float d = Dot(isa, b + (nint)j * k, a, k);
                    c[j] = accumulate ? c[j] + d : d;
                }
            }
            return true;
        }
        return false;
    }

    static float Dot(Isa isa, float* x, float* y, int n)
    {
        int i = 0;
        float sum = 0f;
        if (isa == Isa.V512 && n >= 16)
        {
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0;
            for (; i + 32 <= n; i += 32)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 16), Vector512.Load(y + i + 16), s1);
            }
            for (; i + 16 <= n; i += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), s0);
            sum = Vector512.Sum(s0 + s1);
        }
        else if (isa >= Isa.V256 && n >= 8)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = s0;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Vector256.MultiplyAddEstimate(Vector256.Load(x + i), Vector256.Load(y + i), s0);
                s1 = Vector256.MultiplyAddEstimate(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), s1);
            }
            for (; i + 8 <= n; i += 8) s0 = Vector256.MultiplyAddEstimate(Vector256.Load(x + i), Vector256.Load(y + i), s0);
            sum = Vector256.Sum(s0 + s1);
        }
        else if (n >= 4)
        {
            Vector128<float> s0 = Vector128<float>.Zero;
            for (; i + 4 <= n; i += 4) s0 = Vector128.MultiplyAddEstimate(Vector128.Load(x + i), Vector128.Load(y + i), s0);
            sum = Vector128.Sum(s0);
        }
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>y += alpha·x.</summary>
    static void Axpy(Isa isa, float alpha, float* x, float* y, int n)
    {
        int i = 0;
        if (isa == Isa.V512)
        {
            var va = Vector512.Create(alpha);
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)), y + i);
        }
        if (isa >= Isa.V256)
        {
            var va = Vector256.Create(alpha);
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.MultiplyAddEstimate(va, Vector256.Load(x + i), Vector256.Load(y + i)), y + i);
        }
        var vb = Vector128.Create(alpha);
        for (; i + 4 <= n; i += 4) Vector128.Store(Vector128.MultiplyAddEstimate(vb, Vector128.Load(x + i), Vector128.Load(y + i)), y + i);
        for (; i < n; i++) y[i] += alpha * x[i];
    }
}
