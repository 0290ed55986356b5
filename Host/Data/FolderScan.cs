using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IlgpuGan.Engine;

namespace IlgpuGan.Host.Data;

/// <summary>One candidate image file: where it is, and what the cache fingerprint remembers of it.</summary>
public sealed record FolderFile(string FullPath, string RelativePath, long Length, DateTime LastWriteUtc);

/// <summary>
/// Lists a folder's image files recursively, in a fixed order (ordinal by relative path, '/'
/// separators), so that image i is the same file on every machine and every run.
/// </summary>
public static class FolderScan
{
    /// <summary>The extensions read (case-insensitive); every other file is counted as "not an image".</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// The image files under <paramref name="folder"/> and the number of other files. Hidden files
    /// (dotfiles: editor backups, macOS "._" forks, our own temporary files) are not looked at;
    /// <paramref name="exclude"/> (the cache, when it lives inside the folder) neither.
    /// </summary>
    public static (List<FolderFile> Images, int OtherFiles) Scan(string folder, string? exclude = null)
    {
        if (!Directory.Exists(folder))
            throw new GanException($"data folder {folder} does not exist");
        var root = Path.GetFullPath(folder);
        var skipPath = exclude is null ? null : Path.GetFullPath(exclude);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        };
        var images = new List<FolderFile>();
        int others = 0;
        try
        {
            foreach (var info in new DirectoryInfo(root).EnumerateFiles("*", options))
            {
                if (info.Name.StartsWith('.') || info.FullName == skipPath) continue;
                if (!Extensions.Contains(info.Extension, StringComparer.OrdinalIgnoreCase))
                {
                    others++;
                    continue;
                }
                var relative = Path.GetRelativePath(root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
                images.Add(new FolderFile(info.FullName, relative, info.Length, info.LastWriteTimeUtc));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"cannot list data folder {folder}: {e.Message}");
        }
        images.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return (images, others);
    }

    /// <summary>
    /// SHA-256 of the settings and of every image's relative path, size and modification time:
    /// adding, removing, replacing or touching a file, or changing a setting, invalidates the cache.
    /// </summary>
    public static byte[] Fingerprint(IReadOnlyList<FolderFile> images, int size, int channels)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // The transform's identity: a change to how images are resized or converted must bump it.
        Append(sha, $"ilgpugan folder dataset; resize shorter side (triangle), centre crop, PIL luma; size {size}; channels {channels}\n");
        foreach (var f in images)
            Append(sha, string.Create(CultureInfo.InvariantCulture, $"{f.RelativePath}\0{f.Length}\0{f.LastWriteUtc.Ticks}\n"));
        return sha.GetHashAndReset();
    }

    static void Append(IncrementalHash sha, string text) => sha.AppendData(Encoding.UTF8.GetBytes(text));
}
