using System.Buffers.Binary;
using System.Text;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// Each malformed safetensors header the hostile-user probe found (and the neighbours of each) is
/// a one-line error that names the file and the defect, not an exception type from inside .NET.
/// </summary>
public class SafeTensorsDefectTests
{
    /// <summary>A file with the given header text and <paramref name="dataBytes"/> bytes of data after it.</summary>
    static byte[] Forge(string header, int dataBytes = 16)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    static GanException Refused(byte[] bytes)
    {
        using var tmp = new IdxFixtures.TempFolder();
        var path = tmp.Write("G.safetensors", bytes);
        var e = Assert.Throws<GanException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "tensor w: missing dtype")]
    [InlineData("""{"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}""", "tensor w: dtype is a JSON number")]
    [InlineData("""{"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""", "unsupported dtype \"F64\"")]
    [InlineData("""[{"dtype":"F32","shape":[2],"data_offsets":[0,8]}]""", "a JSON array, expected an object")]
    [InlineData("""{"w":[1,2]}""", "tensor w: entry is a JSON array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775808,9223372036854775816]}}""", "are not byte positions")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551615,7]}}""", "are not byte positions")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}""", "lie outside the 16-byte data section")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "lie outside")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", "are not byte positions")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "data_offsets must be an array of two numbers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", "hold 12 bytes, shape [2] of F32 needs 8")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", "tensor w: missing data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "shape entry -2 is not a size")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", "shape entry 2.5 is not a size")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,8]}}""", "is not a size")]
    [InlineData("""{"w":{"dtype":"F32","shape":[65536,65536,65536,65536],"data_offsets":[0,8]}}""", "needs more bytes than the file holds")]
    [InlineData("""{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", "shape is a JSON string")]
    [InlineData("""{"__metadata__":{"step":5}}""", "__metadata__ value step is a JSON number, expected a string")]
    [InlineData("""{"__metadata__":[]}""", "__metadata__ is a JSON array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "w appears twice")]
    [InlineData("""{"w":{"dtype":"F32",""", "corrupt safetensors header")]
    [InlineData("""{"w\n":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", "tensor \"w\\n\"")]
    public void MalformedHeaderIsNamed(string header, string defect) =>
        Assert.Contains(defect, Refused(Forge(header)).Message);

    [Fact]
    public void InvalidUtf8InTheHeaderIsNamed()
    {
        var bytes = Forge("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""");
        bytes[10] = 0xC3;   // a lead byte whose continuation is a quote
        Assert.Contains("not valid UTF-8", Refused(bytes).Message);
    }

    [Theory]
    [InlineData(0UL, "too short")]
    [InlineData(1UL << 63, "past the end")]
    [InlineData(ulong.MaxValue, "past the end")]
    [InlineData(1UL << 31, "past the end")]
    public void HeaderLengthIsChecked(ulong length, string defect)
    {
        var bytes = length == 0 ? new byte[5] : Forge("{}");
        if (length != 0) BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        Assert.Contains(defect, Refused(bytes).Message);
    }

    [Fact]
    public void AWellFormedFileStillLoads()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var path = Path.Combine(tmp.Path, "x.safetensors");
        SafeTensors.Save(path, [new NamedArray("a", [2, 3], Floats: [1, 2, 3, 4, 5, 6]), new NamedArray("n", [], Longs: [7]), new NamedArray("e", [0], Floats: [])],
            new Dictionary<string, string> { ["step"] = "5" });
        var (t, meta) = SafeTensors.Load(path);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t["a"].Floats!);
        Assert.Equal([7L], t["n"].Longs!);
        Assert.Empty(t["e"].Floats!);
        Assert.Equal("5", meta["step"]);
    }
}
