using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Host.Cli;

/// <summary>
/// Typed System.CommandLine options with this app's parse messages ("--steps must be a whole
/// number, got 'many'"). An option with a default shows it in --help; one without is nullable, so
/// "not given" is null and a command needs no Has/Get pairs. Range rules of engine settings are
/// not checked here but by the engine (<see cref="Engine.Gan.GanConfig.Validate"/>), once.
/// </summary>
public static class Opt
{
    public static Option<int> Int(string name, string value, string help, int @default, int min = int.MinValue, int max = int.MaxValue) =>
        Ranged(Make(name, value, help, s => Lift(ParseInt(s)), "a whole number", () => @default), min, max);

    public static Option<int?> IntOrNull(string name, string value, string help, int min = int.MinValue, int max = int.MaxValue) =>
        Ranged(Make(name, value, help, s => LiftNullable(ParseInt(s)), "a whole number"), min, max);

    public static Option<long> Long(string name, string value, string help, long @default, long min = long.MinValue) =>
        Ranged(Make(name, value, help, s => Lift(ParseLong(s)), "a whole number", () => @default), min, long.MaxValue);

    public static Option<ulong> ULong(string name, string value, string help, ulong @default) =>
        Make(name, value, help, s => Lift(ParseULong(s)), "a non-negative whole number", () => @default);

    public static Option<ulong?> ULongOrNull(string name, string value, string help) =>
        Make(name, value, help, s => LiftNullable(ParseULong(s)), "a non-negative whole number");

    public static Option<double> Double(string name, string value, string help, double @default, double min = double.NegativeInfinity, bool exclusiveMin = false) =>
        RangedDouble(Make(name, value, help, s => Lift(ParseDouble(s)), "a number", () => @default), min, exclusiveMin);

    public static Option<double?> DoubleOrNull(string name, string value, string help, double min = double.NegativeInfinity, bool exclusiveMin = false) =>
        RangedDouble(Make(name, value, help, s => LiftNullable(ParseDouble(s)), "a number"), min, exclusiveMin);

    public static Option<string?> String(string name, string value, string help) => new($"--{name}") { HelpName = value, Description = help };

    public static Option<string> String(string name, string value, string help, string @default) =>
        new($"--{name}") { HelpName = value, Description = help, DefaultValueFactory = _ => @default };

    public static Option<bool> Switch(string name, string help) => new($"--{name}") { Description = help };

    /// <summary>An enum option read by <see cref="Kinds"/>' names, which tab completion offers.</summary>
    public static Option<T?> Kind<T>(string name, string help) where T : struct, Enum
    {
        var o = Make(name, string.Join("|", Kinds.Names<T>()), help, s => Kinds.TryParse<T>(s, out var v) ? (true, (T?)v) : (false, null), Kinds.List<T>());
        o.CompletionSources.Clear();   // System.CommandLine would offer the C# member names (WganGp) as well
        o.CompletionSources.Add([.. Kinds.Names<T>()]);
        return o;
    }

    /// <summary>--device: auto, cuda[:N], opencl[:N], cpu or ilgpu-cpu, parsed into a <see cref="DeviceSpec"/>.</summary>
    public static Option<DeviceSpec> Device() => new("--device")
    {
        HelpName = "auto|cuda[:N]|opencl[:N]|cpu|ilgpu-cpu",
        Description = "the device: auto prefers CUDA, then an OpenCL GPU, then the managed CPU backend",
        DefaultValueFactory = _ => DeviceSpec.Auto,
        CustomParser = r =>
        {
            try { return DeviceSpec.Parse(r.Tokens[0].Value); }
            catch (InvalidSettingException e) { r.AddError(e.Describe(_ => "--device")); return DeviceSpec.Auto; }
        },
        CompletionSources = { DeviceSpec.KnownNames.ToArray() },
    };

    /// <summary>Whether the user typed the option (a default does not count).</summary>
    public static bool Given(this ParseResult p, Option o) => p.GetResult(o) is { Implicit: false };

    static int? ParseInt(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;

    static long? ParseLong(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;

    static ulong? ParseULong(string s) => ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v) ? v : null;

    static (bool, T) Lift<T>(T? v) where T : struct => (v.HasValue, v.GetValueOrDefault());

    static (bool, T?) LiftNullable<T>(T? v) where T : struct => (v.HasValue, v);

    static double? ParseDouble(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;

    static Option<T> Make<T>(string name, string value, string help, Func<string, (bool Ok, T Value)> parse, string what, Func<T>? @default = null)
    {
        var o = new Option<T>($"--{name}") { HelpName = value, Description = help };
        if (@default is not null) o.DefaultValueFactory = _ => @default();
        o.CustomParser = r =>
        {
            if (r.Tokens.Count == 0) return @default is null ? default! : @default();
            string s = r.Tokens[0].Value;
            var (ok, v) = parse(s);
            if (!ok) r.AddError($"--{name} must be {what}, got '{s}'");
            return v;
        };
        return o;
    }

    static Option<T> Ranged<T>(Option<T> o, long min, long max)
    {
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            T v;
            try { v = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }   // the parser already said what is wrong
            if (v is null) return;
            long x = Convert.ToInt64(v, CultureInfo.InvariantCulture);
            if (x < min) r.AddError($"{o.Name} must be at least {min}, got {x}");
            else if (x > max) r.AddError($"{o.Name} must be at most {max}, got {x}");
        });
        return o;
    }

    static Option<T> RangedDouble<T>(Option<T> o, double min, bool exclusiveMin)
    {
        if (double.IsNegativeInfinity(min)) return o;
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            T v;
            try { v = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }   // the parser already said what is wrong
            if (v is null) return;
            double x = Convert.ToDouble(v, CultureInfo.InvariantCulture);
            if (x < min || (exclusiveMin && x == min))
                r.AddError($"{o.Name} must be {(exclusiveMin ? "above" : "at least")} {min.ToString(CultureInfo.InvariantCulture)}, got {r.Tokens[0].Value}");
        });
        return o;
    }
}
