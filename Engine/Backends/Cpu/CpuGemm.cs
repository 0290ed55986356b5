using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// Managed single-precision GEMM for the CPU backend, BLIS-style. C is computed in MR×NR tiles by a
/// register micro-kernel (broadcast A × contiguous B fused multiply-adds: 8×32 with AVX-512, 6×16
/// with AVX2, 4×8 with 128-bit SIMD) over k-blocks (kc ≤ 384) and column blocks sized for L2.
/// Operands are packed only where that pays: B when it is stored n×k (a transpose) or reused by
/// many rows of A, A when it is stored k×m and reused; otherwise the kernel reads them in place
/// (row- or column-major A, row-major B), prefetching the next panel. When one side of C is small
/// (a batch of 64) the product is computed transposed, Cᵀ = op(B)ᵀ·op(A)ᵀ, so that the big weight
/// matrix streams through once as A and the small operand stays in cache (unless k is short, or the
/// small side is a whole number of tile rows narrower than a tile). Matrix-vector products
/// (m or n = 1) take a direct path, and a small C = A·Bᵀ over a long k a dot-product one (CpuGemm.Dot.cs). Large products are cut into chunks of C shared out to a small
/// pool of persistent workers; the operand every chunk needs is packed once, by all of them.
/// </summary>
public static unsafe partial class CpuGemm
{
    /// <summary>Micro-kernel families, by SIMD width.</summary>
    internal enum Isa { V128, V256, V512 }

    /// <summary>The widest kernel family this machine runs natively.</summary>
    internal static readonly Isa BestIsa =
        Vector512.IsHardwareAccelerated ? Isa.V512 : Vector256.IsHardwareAccelerated ? Isa.V256 : Isa.V128;

    /// <summary>Below this many multiply-adds per thread a call stays on fewer threads: waking a worker costs µs.</summary>
    internal const long DefaultParallelMinFma = 1_000_000;

    /// <summary>
    /// C[m,n] (+)= op(A)·op(B), all row-major and densely packed:
    /// A is m×k (stored k×m when transA), B is k×n (stored n×k when transB), C is m×n.
    /// accumulate: C += product, else C = product. threads: max worker threads (1 = run on the caller).
    /// </summary>
    public static void Gemm(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB, bool accumulate, int threads) =>
        Gemm(a, b, c, m, n, k, transA, transB, accumulate, threads, BestIsa, DefaultParallelMinFma);

    /// <summary>
    /// The same, with the kernel family and the per-thread work threshold chosen by the caller (tests
    /// check the narrower kernels and the threaded paths on small shapes with it).
    /// </summary>
    internal static void Gemm(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB, bool accumulate,
        int threads, Isa isa, long parallelMinFma)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) new Span<float>(c, checked(m * n)).Clear();
            return;
        }

        if ((m == 1 || n == 1) && TryVector(a, b, c, m, n, k, transA, transB, accumulate, isa)) return;

        long fma = (long)m * n * k;
        int workers = (int)Math.Min(Math.Min(threads, Environment.ProcessorCount), fma / Math.Max(1, parallelMinFma));
        if (UseDot(m, n, k, transA, transB, isa))
        {
            Job dot = PlanDot(a, b, c, m, n, k, accumulate, isa);
            if (workers > 1 && PartitionDot(ref dot, workers)) Pool.Execute(ref dot, workers);
            else DotBody(ref dot, 0, m);
            return;
        }
        Job job = Plan(a, b, c, m, n, k, transA, transB, accumulate, isa);
        if (workers > 1 && Partition(ref job, workers, fma, parallelMinFma)) Pool.Execute(ref job, workers);
        else Body(ref job, 0, job.M, 0, job.N);
    }

    /// <summary>A job's rows [m0, m1) and columns [n0, n1), by whichever body the job was planned for.</summary>
    internal static void Run(ref Job job, int m0, int m1, int n0, int n1)
    {
        if (job.Dot) DotBody(ref job, m0, m1);
        else Body(ref job, m0, m1, n0, n1);
    }

    /// <summary>One GEMM in canonical form: C(M×N) (+)= A(M×K)·B(K×N), with layouts as flags.</summary>
    internal struct Job
    {
        public float* A, B, C;
        /// <summary>A[i,p] = A[i·Lda + p] when ARows, else A[p·Lda + i].</summary>
        public nint Lda;
        /// <summary>B[p,j] = B[p·Ldb + j] when BRows, else B[j·Ldb + p].</summary>
        public nint Ldb;
        /// <summary>C[i,j] = C[i·Ldc + j], or C[j·Ldc + i] when CTrans.</summary>
        public nint Ldc;
        public bool ARows, BRows, CTrans, Accumulate;
        /// <summary>Pack A panels (otherwise read in place; edge panels are always packed).</summary>
        public bool PackA;
        /// <summary>Pack B panels (always when B is not BRows).</summary>
        public bool PackB;
        public int M, N, K;
        public int Kc, Nc, Mc;
        public Isa Isa;
        public int Mr, Nr;
        // Threaded runs: C is cut along M (SplitM) or N into Chunks runs of ChunkPanels panels each,
        // claimed by the threads one at a time. The operand every chunk needs whole (B when split
        // along M, A along N) is packed first, once, into Shared, when it needs packing at all.
        public bool SplitM;
        public int Chunks;
        /// <summary>Panels along the cut dimension; chunk c holds panels [c·P/Chunks, (c+1)·P/Chunks).</summary>
        public int ChunkPanels;
        /// <summary>A (PreA) or B (PreB) is packed in full in Shared: k-block at pc, panel q at pc·Pad + q·kc·R.</summary>
        public bool PreA, PreB;
        /// <summary>Loop over B panels outside A panels rather than inside.</summary>
        public bool JrOuter;
        public float* Shared;
        /// <summary>Units of the shared packing (groups of panels of one k-block), and panels per unit.</summary>
        public int PreUnits, PreGroup;
        /// <summary>A dot-product job (C = A·Bᵀ by rows of both, <see cref="DotBody"/>): always cut along M, in blocks of Mr rows.</summary>
        public bool Dot;
    }

    static void Shape(Isa isa, out int mr, out int nr)
    {
        switch (isa)
        {
            case Isa.V512: mr = 8; nr = 32; break;
            case Isa.V256: mr = 6; nr = 16; break;
            default: mr = 4; nr = 8; break;
        }
    }

    static long RoundUp(long x, int r) => (x + r - 1) / r * r;

    static Job Plan(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB, bool accumulate, Isa isa)
    {
        Shape(isa, out int mr, out int nr);
        // Two ways to lay the product onto the kernel: as is, or transposed (Cᵀ = op(B)ᵀ·op(A)ᵀ, the
        // roles of the operands swapped and C written transposed).
        bool aRows = !transA, bRows = !transB;
        bool swap;
        int small = Math.Min(m, n);
        if (small < nr && small % mr == 0 && m != n)
        {
            // A side narrower than the tile but a whole number of its rows (the 16 rows of a 14×14
            // conv layer's Wᵀ·dy): along M it fills the tiles, along N it would waste half of each
            // and C would be written transposed.
            swap = n < m;
        }
        else if (small <= SmallSide && m != n && k > ShortK)
        {
            // One side of C is small (a batch): put it along N, so that the operand it belongs to
            // stays in cache as the B block while the big one streams through once, MR rows at a
            // time, as A.
            swap = m < n;
        }
        else
        {
            // Otherwise compare rough costs: padded tile work, the transpose of an operand that
            // must be packed (B stored n×k), and writing C transposed.
            double plain = Cost(m, n, k, mr, nr, bRows, false);
            // Swapped: A' = op(B)ᵀ is row-contiguous when B is stored n×k; B' = op(A)ᵀ is
            // row-contiguous when A is stored k×m.
            double swapped = Cost(n, m, k, mr, nr, !aRows, true);
            swap = swapped < plain;
        }
        var job = new Job { Isa = isa, Mr = mr, Nr = nr, Accumulate = accumulate, C = c, Ldc = n, K = k };
        if (swap)
        {
            job.M = n; job.N = m; job.CTrans = true;
            job.A = b; job.Lda = transB ? k : n; job.ARows = transB;
            job.B = a; job.Ldb = transA ? m : k; job.BRows = transA;
        }
        else
        {
            job.M = m; job.N = n;
            job.A = a; job.Lda = transA ? m : k; job.ARows = !transA;
            job.B = b; job.Ldb = transB ? k : n; job.BRows = !transB;
        }
        Block(ref job);
        return job;
    }

    // Blocking and policy constants (tuned on a 2-core AVX-512 Xeon; the GAN's shapes at batch 64
    // are bound by reading the weights from L3/DRAM, the large ones by the kernel).
    /// <summary>Deepest k-block: A panel (MR·kc) and a B panel row stay in L1, and C is reloaded once per block.</summary>
    const int KcMax = 384;
    /// <summary>Bytes of packed B block (kc × nc) kept in L2.</summary>
    const int L2Budget = 1 << 20;
    /// <summary>Rows of A per block (only packed A uses the block).</summary>
    const int McMax = 256;
    /// <summary>Below this many rows of A, B (stored k×n) is read in place rather than packed.</summary>
    const int PackBMinM = 32;
    /// <summary>A stored k×m is packed when more than this many columns of B reuse it.</summary>
    const int PackAMinN = 32;
    /// <summary>A side of C up to this long counts as small (a batch): it goes along N.</summary>
    const int SmallSide = 128;
    /// <summary>
    /// An operand read in place is shared between a threaded run's chunks only up to this size; beyond
    /// it the run is cut along it instead (each chunk would reread all of it). Above the seed MLP's
    /// largest weight (784×512 floats, 1.6 MB), below the DCGAN's column matrices.
    /// </summary>
    const long SharedInPlaceMaxBytes = 2 << 20;
    /// <summary>
    /// Up to this k, writing C costs about as much as the products (a 14×14 conv layer's W·cols has
    /// k = 16; the dense ConvTranspose2d's weight gradient, 100×6272, has k = batch = 64): a small side
    /// of C is not forced along N then; the cost model, which counts writing C transposed, chooses
    /// (and keeps those products in place). In the seed MLP it changes only the 256→64 layer's weight
    /// and input gradients (64×256 over k = 64), which are now written in place too.
    /// </summary>
    const int ShortK = 64;
    /// <summary>Chunks of C per thread in a threaded run.</summary>
    const int ChunksPerWorker = 4;

    /// <summary>Rough cost in cycles: padded tile work, transposing B into panels, writing C transposed.</summary>
    static double Cost(int m, int n, int k, int mr, int nr, bool bRows, bool cTrans)
    {
        double work = (double)RoundUp(m, mr) * RoundUp(n, nr) * k / nr;
        double pack = bRows ? 0 : 0.5 * n * k;
        double store = cTrans ? 0.5 * m * n * ((k + KcMax - 1) / KcMax) : 0;
        return work + pack + store;
    }

    /// <summary>Chooses the k-block, column block and packing for a planned job.</summary>
    static void Block(ref Job job)
    {
        int mr = job.Mr, nr = job.Nr;
        int kBlocks = (job.K + KcMax - 1) / KcMax;
        int kc = (job.K + kBlocks - 1) / kBlocks;
        job.Kc = kc;
        // B block (kc × nc) stays in L2 (about 1 MiB of it).
        int ncMax = Math.Max(nr, L2Budget / (4 * kc) / nr * nr);
        int nBlocks = (job.N + ncMax - 1) / ncMax;
        job.Nc = (int)RoundUp((job.N + nBlocks - 1) / nBlocks, nr);
        job.Mc = Math.Max(mr, McMax / mr * mr);
        job.PackB = !job.BRows || job.M >= PackBMinM;
        job.PackA = !job.ARows && job.N > PackAMinN;
        // B read in place: keep each of its panels in L1 while every A panel passes it (and fetch
        // the next one meanwhile). Packed B: keep each A panel while the B block passes it, which
        // writes C along rows.
        job.JrOuter = !job.PackB;
    }

    /// <summary>
    /// Plans a threaded run: which way to cut C, into how many chunks, and whether the operand all
    /// chunks share is packed up front. Returns false when the job is better left on one thread.
    /// </summary>
    static bool Partition(ref Job job, int workers, long fma, long parallelMinFma)
    {
        int mr = job.Mr, nr = job.Nr;
        int mPanels = (job.M + mr - 1) / mr, nPanels = (job.N + nr - 1) / nr;
        // Cutting along N shares A between the chunks, along M shares B. Prefer sharing an operand
        // that is read in place; otherwise the one that is cheaper to pack; either way the cut
        // dimension needs a few panels per thread.
        bool splitM;
        if (mPanels < 2 * workers && nPanels < 2 * workers) splitM = mPanels >= nPanels;
        else if (mPanels < 2 * workers) splitM = false;
        else if (nPanels < 2 * workers) splitM = true;
        else if (job.PackA != job.PackB)
        {
            // Share the operand read in place (nobody packs it), unless it is large: every chunk of
            // the other cut streams all of it again (a conv's weight gradient reads its 12.8 MB column
            // matrix once per chunk that way), so then cut it and share the packed one.
            long inPlace = job.PackA ? (long)job.N * job.K : (long)job.M * job.K;
            splitM = inPlace * sizeof(float) > SharedInPlaceMaxBytes ? !job.PackA : job.PackA;
        }
        else splitM = (long)job.N < job.M;
        int panels = splitM ? mPanels : nPanels;
        if (panels < 2) return false;
        // A few chunks per thread balance the load when a thread starts late or is preempted, but
        // each must stay big enough to amortise its packing and the claim.
        int chunks = (int)Math.Min(Math.Min(panels, ChunksPerWorker * (long)workers), Math.Max(workers, fma / Math.Max(1, parallelMinFma / 2)));
        // Round down to a multiple of the thread count, so that equal chunks share out evenly.
        if (chunks > workers) chunks -= chunks % workers;
        job.SplitM = splitM;
        job.ChunkPanels = panels;
        job.Chunks = chunks;
        if (chunks < 2) return false;

        job.PreA = !splitM && job.PackA;
        job.PreB = splitM && job.PackB;
        if (job.PreA || job.PreB)
        {
            int r = job.PreA ? mr : nr, sharedPanels = job.PreA ? mPanels : nPanels;
            int kBlocks = (job.K + job.Kc - 1) / job.Kc;
            job.PreGroup = job.PreA ? 2 : 1;
            job.PreUnits = kBlocks * ((sharedPanels + job.PreGroup - 1) / job.PreGroup);
            job.Shared = Scratch.Shared((long)job.K * sharedPanels * r);
        }
        return true;
    }

    /// <summary>A thread's share of a threaded job: packing units, then chunks of C, claimed as it goes.</summary>
    internal static void RunShared(ref Job job, ref int nextUnit, ref int unitsDone, ref int nextChunk)
    {
        if (job.PreA || job.PreB)
        {
            int mr = job.Mr, nr = job.Nr, r = job.PreA ? mr : nr;
            int dim = job.PreA ? job.M : job.N, panels = (dim + r - 1) / r, pad = panels * r;
            int groups = (panels + job.PreGroup - 1) / job.PreGroup;
            int done = 0;
            for (int u; (u = Interlocked.Increment(ref nextUnit) - 1) < job.PreUnits; done++)
            {
                int kb = u / groups, g = u % groups;
                int pc = kb * job.Kc, kc = Math.Min(job.Kc, job.K - pc);
                int q0 = g * job.PreGroup, q1 = Math.Min(panels, q0 + job.PreGroup);
                float* dst = job.Shared + (nint)pc * pad + (nint)q0 * kc * r;
                if (job.PreA)
                {
                    int i = q0 * mr;
                    PackABlock(ref job, i, Math.Min(job.M, q1 * mr) - i, pc, kc, dst);
                }
                else
                {
                    int j = q0 * nr;
                    PackBBlock(ref job, j, Math.Min(job.N, q1 * nr) - j, pc, kc, dst);
                }
            }
            Interlocked.Add(ref unitsDone, done);
            var spin = new SpinWait();
            while (Volatile.Read(ref unitsDone) < job.PreUnits) spin.SpinOnce(sleep1Threshold: -1);
        }
        for (int ch; (ch = Interlocked.Increment(ref nextChunk) - 1) < job.Chunks;)
        {
            int p0 = (int)((long)ch * job.ChunkPanels / job.Chunks), p1 = (int)((long)(ch + 1) * job.ChunkPanels / job.Chunks);
            if (job.SplitM) Run(ref job, p0 * job.Mr, Math.Min(job.M, p1 * job.Mr), 0, job.N);
            else Body(ref job, 0, job.M, p0 * job.Nr, Math.Min(job.N, p1 * job.Nr));
        }
    }

    static void Body(ref Job job, int m0, int m1, int n0, int n1)
    {
        int mr = job.Mr, nr = job.Nr, kcMax = job.Kc;
        int ncMax = Math.Min(job.Nc, (int)RoundUp(n1 - n0, nr));
        int mcMax = Math.Min(job.Mc, (int)RoundUp(m1 - m0, mr));
        var s = Scratch.Get((long)kcMax * ncMax, (long)kcMax * mcMax, mr * nr);
        float* bPack = s.B, aPack = s.A;

        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n1 - jc);
            int nPanels = (nc + nr - 1) / nr;
            for (int pc = 0; pc < job.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, job.K - pc);
                bool acc = job.Accumulate || pc > 0;

                // B block: packed panels (kc×NR each, zero-padded) or, read in place, only the
                // partial last panel packed.
                if (!job.PreB)
                {
                    if (job.PackB) PackBBlock(ref job, jc, nc, pc, kc, bPack);
                    else if (nc % nr != 0)
                    {
                        int j = jc + (nPanels - 1) * nr;
                        PackB(ref job, pc, j, kc, jc + nc - j, bPack + (nint)(nPanels - 1) * kc * nr);
                    }
                }

                for (int ic = m0; ic < m1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m1 - ic);
                    int mPanels = (mc + mr - 1) / mr;
                    // A block: packed panels, or read in place with only a partial last panel packed.
                    if (!job.PreA)
                    {
                        if (job.PackA) PackABlock(ref job, ic, mc, pc, kc, aPack);
                        else if (mc % mr != 0)
                        {
                            int i = ic + (mPanels - 1) * mr;
                            PackA(ref job, i, pc, kc, ic + mc - i, aPack + (nint)(mPanels - 1) * kc * mr);
                        }
                    }

                    bool prefetch = Sse.IsSupported;
                    if (job.JrOuter)
                    {
                        for (int jp = 0; jp < nPanels; jp++)
                        {
                            // Next B panel read in place: spread its prefetch over this panel's tiles.
                            int jn = jc + (jp + 1) * nr;
                            bool ahead = prefetch && !job.PackB && !job.PreB && jn + nr <= jc + nc;
                            for (int ip = 0; ip < mPanels; ip++)
                            {
                                if (ahead)
                                {
                                    int r0 = (int)((long)ip * kc / mPanels), r1 = (int)((long)(ip + 1) * kc / mPanels);
                                    PrefetchRows(job.B + (pc + r0) * job.Ldb + jn, job.Ldb, r1 - r0, nr);
                                }
                                Tile(ref job, s, ic, ip, mc, jc, jp, nc, pc, kc, acc);
                            }
                        }
                    }
                    else
                    {
                        for (int ip = 0; ip < mPanels; ip++)
                        {
                            // Next A panel read in place (row-major): prefetch its rows over this panel's tiles.
                            int inext = ic + (ip + 1) * mr;
                            bool ahead = prefetch && !job.PackA && !job.PreA && inext + mr <= ic + mc;
                            for (int jp = 0; jp < nPanels; jp++)
                            {
                                if (ahead)
                                {
                                    if (job.ARows)
                                    {
                                        int r0 = (int)((long)jp * mr / nPanels), r1 = (int)((long)(jp + 1) * mr / nPanels);
                                        PrefetchRows(job.A + (inext + r0) * job.Lda + pc, job.Lda, r1 - r0, kc);
                                    }
                                    else
                                    {
                                        // Column-major A: the next panel is MR floats from each of kc rows.
                                        int r0 = (int)((long)jp * kc / nPanels), r1 = (int)((long)(jp + 1) * kc / nPanels);
                                        PrefetchRows(job.A + (pc + r0) * job.Lda + inext, job.Lda, r1 - r0, 1);
                                        PrefetchRows(job.A + (pc + r0) * job.Lda + inext + mr - 1, job.Lda, r1 - r0, 1);
                                    }
                                }
                                Tile(ref job, s, ic, ip, mc, jc, jp, nc, pc, kc, acc);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Asks for rows × floats (row stride ld) to be brought into L2 ahead of use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PrefetchRows(float* p, nint ld, int rows, int floats)
    {
        for (int r = 0; r < rows; r++, p += ld)
            for (int f = 0; f < floats; f += 16) Sse.Prefetch1(p + f);
    }

    /// <summary>One MR×NR tile: panel ip of the A block at row ic times panel jp of the B block at column jc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Tile(ref Job job, Scratch s, int ic, int ip, int mc, int jc, int jp, int nc, int pc, int kc, bool acc)
    {
        int mr = job.Mr, nr = job.Nr;
        int i = ic + ip * mr, h = Math.Min(mr, ic + mc - i);
        int j = jc + jp * nr, w = Math.Min(nr, jc + nc - j);
        float* ap; nint rs, aStep;
        if (job.PreA) { ap = job.Shared + pc * RoundUp(job.M, mr) + (nint)(i / mr) * kc * mr; rs = 1; aStep = mr; }
        else if (job.PackA || h < mr) { ap = s.A + (nint)ip * kc * mr; rs = 1; aStep = mr; }
        else if (job.ARows) { ap = job.A + i * job.Lda + pc; rs = job.Lda; aStep = 1; }
        else { ap = job.A + pc * job.Lda + i; rs = 1; aStep = job.Lda; }
        float* bp; nint bStep;
        if (job.PreB) { bp = job.Shared + pc * RoundUp(job.N, nr) + (nint)(j / nr) * kc * nr; bStep = nr; }
        else if (job.PackB || w < nr) { bp = s.B + (nint)jp * kc * nr; bStep = nr; }
        else { bp = job.B + pc * job.Ldb + j; bStep = job.Ldb; }

        nint ldc = job.Ldc;
        if (h == mr && w == nr && !job.CTrans)
        {
            Micro(job.Isa, ap, rs, aStep, bp, bStep, kc, job.C + i * ldc + j, ldc, acc);
        }
        else
        {
            Micro(job.Isa, ap, rs, aStep, bp, bStep, kc, s.Tile, nr, false);
            if (job.CTrans) MergeTransposed(s.Tile, nr, job.C + (nint)j * ldc + i, ldc, h, w, acc);
            else Merge(s.Tile, nr, job.C + i * ldc + j, ldc, h, w, acc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Micro(Isa isa, float* a, nint rs, nint aStep, float* b, nint bStep, int kc, float* c, nint ldc, bool acc)
    {
        if (isa == Isa.V512) Kernel512(a, rs, aStep, b, bStep, kc, c, ldc, acc);
        else if (isa == Isa.V256) Kernel256(a, rs, aStep, b, bStep, kc, c, ldc, acc);
        else Kernel128(a, rs, aStep, b, bStep, kc, c, ldc, acc);
    }
}
