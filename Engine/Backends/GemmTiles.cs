using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// GEMM tiling: Tx×Ty threads per group, each owning 8×8 outputs, so a group computes a
/// (8·Ty)×(8·Tx) block of C; Bk deep K slices are staged in shared memory.
/// </summary>
public sealed record GemmTiles(int Tx, int Ty, int Bk)
{
    public int Threads => Tx * Ty;
    public int TileM => GemmArgs.Micro * Ty;
    public int TileN => GemmArgs.Micro * Tx;

    /// <summary>Groups needed to cover an M×N output, one per tile.</summary>
    public long OutputTiles(int m, int n) => (long)CeilDiv(m, TileM) * CeilDiv(n, TileN);

    static int CeilDiv(int a, int b) => (a + b - 1) / b;

    /// <summary>128×128 tiles of 256 threads: twice the FMAs per staged float of 64×64, for shapes with tiles to spare.</summary>
    public static readonly GemmTiles Large = new(16, 16, 16);

    /// <summary>64×64 tiles of 64 threads: the GPU default before per-shape plans.</summary>
    public static readonly GemmTiles Gpu = new(8, 8, 16);

    /// <summary>32 rows × 64 columns, one full warp.</summary>
    public static readonly GemmTiles Wide = new(8, 4, 16);

    /// <summary>64 rows × 32 columns, one full warp.</summary>
    public static readonly GemmTiles Tall = new(4, 8, 16);

    /// <summary>32×32 tiles of 16 threads: the most groups for small outputs, and fits every accelerator we open.</summary>
    public static readonly GemmTiles Small = new(4, 4, 16);

    /// <summary>
    /// 32×32 tiles of 16 threads with deep K slices: on ILGPU's CPU simulator each barrier costs
    /// about 0.1 ms, so few groups and few K steps matter more than anything else.
    /// </summary>
    public static readonly GemmTiles Simulator = new(4, 4, 256);
}
