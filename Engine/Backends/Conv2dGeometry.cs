using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// The geometry of one Conv2d or ConvTranspose2d over an NCHW batch, with PyTorch's meaning for every
/// field: N images of CIn×H×W in, COut channels out, a KH×KW kernel with stride, zero padding and
/// dilation; the transpose also takes output padding (extra rows/columns on one side of its output).
///
/// Both ops are computed through the same column matrix ("im2col"), and this record says which side of
/// the op is which. The <em>image side</em> is the larger tensor whose KH×KW windows become the
/// column matrix's rows: the input of a Conv2d, the output of a ConvTranspose2d. The <em>column
/// side</em> is the tensor with one value per window position: the output of a Conv2d, the input of a
/// ConvTranspose2d. Then, per image, with Wm the weight seen as a [ColC, ImC·KH·KW] matrix (torch
/// stores Conv2d weights as [COut, CIn, KH, KW] and ConvTranspose2d weights as [CIn, COut, KH, KW]:
/// both are exactly that matrix):
/// <list type="bullet">
/// <item>image → column side: colSide = Wm · im2col(image) (Conv2d forward, ConvTranspose2d input gradient);</item>
/// <item>column → image side: image = col2im(Wmᵀ · colSide) (Conv2d input gradient, ConvTranspose2d forward);</item>
/// <item>weight gradient: dWm = colSide · im2col(image)ᵀ, with (image, colSide) = (x, dy) for Conv2d and (dy, x) for the transpose.</item>
/// </list>
/// </summary>
public readonly record struct Conv2dGeometry(
    int N, int CIn, int H, int W, int COut, int KH, int KW,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1,
    int OutputPadH = 0, int OutputPadW = 0, bool Transposed = false)
{
    /// <summary>A Conv2d with square kernel, stride, padding and dilation.</summary>
    public static Conv2dGeometry Conv(int n, int cIn, int h, int w, int cOut, int k, int stride = 1, int pad = 0, int dilation = 1) =>
        new Conv2dGeometry(n, cIn, h, w, cOut, k, k, stride, stride, pad, pad, dilation, dilation).Validated();

    /// <summary>A ConvTranspose2d with square kernel, stride, padding, dilation and output padding.</summary>
    public static Conv2dGeometry ConvTranspose(int n, int cIn, int h, int w, int cOut, int k, int stride = 1, int pad = 0, int dilation = 1, int outputPad = 0) =>
        new Conv2dGeometry(n, cIn, h, w, cOut, k, k, stride, stride, pad, pad, dilation, dilation, outputPad, outputPad, Transposed: true).Validated();

    /// <summary>Output height as torch computes it (floor division for Conv2d).</summary>
    public int OutH => Transposed
        ? (H - 1) * StrideH - 2 * PadH + DilationH * (KH - 1) + OutputPadH + 1
        : (H + 2 * PadH - DilationH * (KH - 1) - 1) / StrideH + 1;

    public int OutW => Transposed
        ? (W - 1) * StrideW - 2 * PadW + DilationW * (KW - 1) + OutputPadW + 1
        : (W + 2 * PadW - DilationW * (KW - 1) - 1) / StrideW + 1;

    /// <summary>Channels, height and width of the image side (see the type's summary).</summary>
    public int ImC => Transposed ? COut : CIn;
    public int ImH => Transposed ? OutH : H;
    public int ImW => Transposed ? OutW : W;

    /// <summary>Channels, height and width of the column side.</summary>
    public int ColC => Transposed ? CIn : COut;
    public int ColH => Transposed ? H : OutH;
    public int ColW => Transposed ? W : OutW;

    /// <summary>Rows of the column matrix: one per (image-side channel, kernel row, kernel column).</summary>
    public int ColumnRows => ImC * KH * KW;

    /// <summary>Columns of the column matrix for one image: one per column-side position.</summary>
    public int ColumnColsPerImage => ColH * ColW;

    /// <summary>Floats of the column matrix for the whole batch, [ColumnRows, N·ColH·ColW].</summary>
    public long ColumnFloats => (long)ColumnRows * N * ColumnColsPerImage;

    /// <summary>
    /// True when every kernel window is the whole unpadded image: one window position (ColH = ColW = 1),
    /// kernel = image, no padding, no dilation; like the DCGAN's first (1×1 → 7×7) and last (7×7 → 1×1)
    /// layers. Then im2col is the identity on each image's [ImC·KH·KW] vector and the op is a Linear
    /// layer: the three products are plain GEMMs on the NCHW tensors, with no column matrix.
    /// </summary>
    public bool IsDense => ColH == 1 && ColW == 1 && ImH == KH && ImW == KW && PadH == 0 && PadW == 0 && DilationH == 1 && DilationW == 1;

    public int InputLength => checked(N * CIn * H * W);
    public int OutputLength => checked(N * COut * OutH * OutW);
    public int ImageLength => checked(N * ImC * ImH * ImW);
    public int ColSideLength => checked(N * ColC * ColH * ColW);
    public int WeightLength => checked(COut * CIn * KH * KW);

    /// <summary>
    /// Floating-point operations (a multiply-add counts 2) of one of the three products (forward,
    /// input gradient, weight gradient): all cost the same, padding taps included as torch's
    /// profilers count them. The bias is not counted.
    /// </summary>
    public double Flops => 2.0 * N * ColC * ColumnRows * ColumnColsPerImage;

    /// <summary>The geometry as the kernels and the float64 references take it (image side, column side).</summary>
    public ConvArgs Args => new()
    {
        N = N, ImC = ImC, ImH = ImH, ImW = ImW, ColC = ColC, ColH = ColH, ColW = ColW, KH = KH, KW = KW,
        StrideH = StrideH, StrideW = StrideW, PadH = PadH, PadW = PadW, DilationH = DilationH, DilationW = DilationW,
    };

    /// <summary>Shape as torch would print the op, e.g. "Conv2d(64→128, k4, s2, p1) on 64×64×14×14".</summary>
    public override string ToString()
    {
        string dil = DilationH != 1 || DilationW != 1 ? $", d{Pair(DilationH, DilationW)}" : "";
        string op = Transposed && (OutputPadH != 0 || OutputPadW != 0) ? $", op{Pair(OutputPadH, OutputPadW)}" : "";
        return $"{(Transposed ? "ConvTranspose2d" : "Conv2d")}({CIn}→{COut}, k{Pair(KH, KW)}, s{Pair(StrideH, StrideW)}, p{Pair(PadH, PadW)}{dil}{op}) on {N}×{CIn}×{H}×{W}";
    }

    static string Pair(int a, int b) => a == b ? $"{a}" : $"({a},{b})";

    /// <summary>This geometry, or an <see cref="ArgumentException"/> naming the rule it breaks (torch's rules).</summary>
    public Conv2dGeometry Validated()
    {
        Require(N >= 1 && CIn >= 1 && COut >= 1, $"a convolution needs at least one image and one channel in and out, got N={N}, in={CIn}, out={COut}");
        Require(H >= 1 && W >= 1, $"the input must be at least 1×1, got {H}×{W}");
        Require(KH >= 1 && KW >= 1, $"the kernel must be at least 1×1, got {KH}×{KW}");
        Require(StrideH >= 1 && StrideW >= 1, $"the stride must be at least 1, got {Pair(StrideH, StrideW)}");
        Require(DilationH >= 1 && DilationW >= 1, $"the dilation must be at least 1, got {Pair(DilationH, DilationW)}");
        Require(PadH >= 0 && PadW >= 0, $"the padding cannot be negative, got {Pair(PadH, PadW)}");
        Require(OutputPadH >= 0 && OutputPadW >= 0, $"the output padding cannot be negative, got {Pair(OutputPadH, OutputPadW)}");
        if (Transposed)
            Require((OutputPadH < StrideH || OutputPadH < DilationH) && (OutputPadW < StrideW || OutputPadW < DilationW),
                $"the output padding ({Pair(OutputPadH, OutputPadW)}) must be smaller than the stride ({Pair(StrideH, StrideW)}) or the dilation ({Pair(DilationH, DilationW)})");
        else
        {
            Require(OutputPadH == 0 && OutputPadW == 0, "output padding exists only for a transposed convolution");
            int effH = DilationH * (KH - 1) + 1, effW = DilationW * (KW - 1) + 1;
            Require(H + 2 * PadH >= effH && W + 2 * PadW >= effW,
                $"the padded input ({H + 2 * PadH}×{W + 2 * PadW}) is smaller than the dilated kernel ({effH}×{effW})");
        }
        Require(OutH >= 1 && OutW >= 1, $"the output would be {OutH}×{OutW}: the padding is too large for this input and kernel");
        long cols = ColumnFloats, im = (long)N * ImC * ImH * ImW, col = (long)N * ColC * ColH * ColW;
        Require(cols <= int.MaxValue && im <= int.MaxValue && col <= int.MaxValue,
            $"the convolution is too large: its column matrix would hold {cols:N0} floats (at most {int.MaxValue:N0})");
        return this;
    }

    static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
