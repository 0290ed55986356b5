namespace IlgpuGan.Engine.IO;

/// <summary>
/// Writes files so that a reader sees either the old file or the complete new one, never a torn
/// write: the bytes go to a temporary file in the same folder, are flushed to disk, then renamed.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Removes the temporary files (".NAME.PID.GUID.tmp") in <paramref name="dir"/> that a killed
    /// process left behind; returns their paths.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemps(string dir)
    {
        var removed = new List<string>();
        if (!Directory.Exists(dir)) return removed;
        foreach (var path in Directory.EnumerateFiles(dir, ".*.tmp"))
        {
            var parts = Path.GetFileName(path).Split('.');
            // "", NAME..., PID, GUID, "tmp"
            if (parts.Length < 5 || parts[^2].Length != 32 || !int.TryParse(parts[^3], out int pid)) continue;
            if (StaleTemps.OwnerIsGone(pid, path) && StaleTemps.TryRemove(path)) removed.Add(path);
        }
        return removed;
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
