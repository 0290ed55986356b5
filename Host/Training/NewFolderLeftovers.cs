namespace IlgpuGan.Host.Training;

/// <summary>
/// What a new run's folder held before this session (nothing, or the folder did not exist), so a run
/// that fails or is stopped before its first step can take back exactly what it created: the folder
/// itself when it made it, otherwise only the entries it added. Never used for a resumed run.
/// </summary>
public sealed class NewFolderLeftovers
{
    readonly string runDir;
    readonly HashSet<string>? existing;   // null: the folder did not exist

    NewFolderLeftovers(string runDir, HashSet<string>? existing)
    {
        this.runDir = runDir;
        this.existing = existing;
    }

    public static NewFolderLeftovers Before(string runDir) =>
        new(runDir, Directory.Exists(runDir) ? [.. Directory.EnumerateFileSystemEntries(runDir)] : null);

    /// <summary>Removes what was added since <see cref="Before"/>; best effort (a failure here must not hide the run's own error).</summary>
    public void Remove()
    {
        try
        {
            if (!Directory.Exists(runDir)) return;
            if (existing is null) { Directory.Delete(runDir, recursive: true); return; }
            foreach (var entry in Directory.EnumerateFileSystemEntries(runDir).Where(e => !existing.Contains(e)).ToList())
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
