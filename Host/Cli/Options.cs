using System.Globalization;
using IlgpuGan.Engine;

namespace IlgpuGan.Host.Cli;

/// <summary>One --flag of a command: its value name (null for a switch), help text and default.</summary>
public sealed record OptionSpec(string Name, string? Value, string Help, string? Default = null);

/// <summary>
/// The parsed flags of one command. Parsing rejects unknown flags and missing values with a
/// <see cref="UsageException"/> (exit code 2); typed getters do the same for malformed values.
/// Accepts "--name value" and "--name=value".
/// </summary>
public sealed class Options
{
    readonly Dictionary<string, string?> values = new();
    readonly Dictionary<string, OptionSpec> specs;

    Options(string command, IReadOnlyList<OptionSpec> specs)
    {
        Command = command;
        this.specs = specs.ToDictionary(s => s.Name);
    }

    public string Command { get; }

    public bool Help { get; private set; }

    public static Options Parse(string command, IReadOnlyList<OptionSpec> specs, IReadOnlyList<string> args)
    {
        var o = new Options(command, specs);
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help") { o.Help = true; continue; }
            if (!a.StartsWith("--"))
                throw new UsageException($"{command}: unexpected argument '{a}'");
            string name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            if (!o.specs.TryGetValue(name, out var spec))
                throw new UsageException($"{command}: unknown option '--{name}'");
            if (spec.Value is null)
            {
                if (inline is not null) throw new UsageException($"{command}: --{name} takes no value");
                o.values[name] = null;
            }
            else
            {
                string? v = inline ?? (i + 1 < args.Count ? args[++i] : null);
                if (v is null) throw new UsageException($"{command}: --{name} needs a value ({spec.Value})");
                o.values[name] = v;
            }
        }
        return o;
    }

    public bool Has(string name) => values.ContainsKey(name);

    public string? String(string name) => values.TryGetValue(name, out var v) ? v : specs[name].Default;

    public string String(string name, string fallback) => String(name) ?? fallback;

    public int Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = String(name) ?? throw new UsageException($"{Command}: --{name} is required");
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new UsageException($"{Command}: --{name} must be a whole number, got '{s}'");
        if (v < min) throw new UsageException($"{Command}: --{name} must be at least {min}, got {v}");
        if (v > max) throw new UsageException($"{Command}: --{name} must be at most {max}, got {v}");
        return v;
    }

    public ulong ULong(string name)
    {
        var s = String(name) ?? throw new UsageException($"{Command}: --{name} is required");
        if (!ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
            throw new UsageException($"{Command}: --{name} must be a non-negative whole number, got '{s}'");
        return v;
    }

    public double Double(string name, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false)
    {
        var s = String(name) ?? throw new UsageException($"{Command}: --{name} is required");
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new UsageException($"{Command}: --{name} must be a number, got '{s}'");
        if (v < min || v > max || (exclusiveMin && v == min))
            throw new UsageException($"{Command}: --{name} must be {(exclusiveMin ? "above" : "at least")} {min.ToString(CultureInfo.InvariantCulture)}{(double.IsPositiveInfinity(max) ? "" : $" and at most {max.ToString(CultureInfo.InvariantCulture)}")}, got {s}");
        return v;
    }

    public static string HelpText(string usage, string summary, IReadOnlyList<OptionSpec> specs)
    {
        var w = new StringWriter();
        w.WriteLine($"usage: {usage}");
        w.WriteLine();
        w.WriteLine(summary);
        w.WriteLine();
        w.WriteLine("options:");
        foreach (var s in specs)
        {
            string left = $"  --{s.Name}{(s.Value is null ? "" : " " + s.Value)}";
            string right = s.Help + (s.Default is null ? "" : $" (default: {s.Default})");
            w.WriteLine(left.Length < 28 ? left.PadRight(28) + right : left + "\n" + new string(' ', 28) + right);
        }
        w.WriteLine("  -h, --help".PadRight(28) + "show this help");
        return w.ToString();
    }
}
