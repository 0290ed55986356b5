using System.Diagnostics;

namespace IlgpuGan.Engine.IO;

/// <summary>
/// Temporary files and folders are named after the process that writes them. One whose process is
/// gone (killed, crashed, out of disk) can never be finished, only removed; one whose process still
/// runs may be another run's write in progress and is left alone.
/// </summary>
public static class StaleTemps
{
    /// <summary>
    /// True when no live process can be writing <paramref name="path"/>: pid <paramref name="pid"/> has
    /// exited, is this process (which has not started writing it), or is a newer process that reused
    /// the number after the temp was last written.
    /// </summary>
    public static bool OwnerIsGone(int pid, string path)
    {
        if (pid == Environment.ProcessId) return true;
        if (pid <= 0) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return true;
            var written = Directory.Exists(path) ? Directory.GetLastWriteTime(path) : File.GetLastWriteTime(path);
            return p.StartTime > written;
        }
        catch (ArgumentException) { return true; }            // no such process
        catch (InvalidOperationException) { return true; }     // exited while we looked
        catch (System.ComponentModel.Win32Exception) { return false; }   // not ours to inspect: assume alive
    }

    /// <summary>Deletes a file or folder, reporting whether it is gone; a failure to delete is not an error here.</summary>
    public static bool TryRemove(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when an I/O failure means the disk (or quota) is full.</summary>
    public static bool IsDiskFull(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            int code = x.HResult & 0xFFFF;
            // ENOSPC (28) and EDQUOT (122) on Unix, where .NET puts errno in HResult;
            // ERROR_HANDLE_DISK_FULL (39) and ERROR_DISK_FULL (112) on Windows.
            if (x is IOException && (x.HResult is 28 or 122 || (x.HResult < 0 && code is 39 or 112))) return true;
            if (x.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
