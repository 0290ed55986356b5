using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using IlgpuGan.Kernels;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Every kernel compiles to PTX for Turing, Ampere and Hopper, and to OpenCL C 2.0 with the
/// generic address space (what ILGPU's OpenCL backend needs), with no GPU present: a kernel that
/// only the simulator accepts cannot land.
/// </summary>
public sealed class KernelCompileTests
{
    /// <summary>Kernel entry points: public static void methods of the kernel classes taking an ArrayView first.</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var m in KernelMethods()) data.Add($"{m.DeclaringType!.Name}.{m.Name}");
        return data;
    }

    static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(GemmKernels).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernels"))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters() is { Length: > 0 } ps &&
                        ps[0].ParameterType.IsGenericType && ps[0].ParameterType.GetGenericTypeDefinition() == typeof(ArrayView<>));

    [Fact]
    public void All_kernel_classes_are_covered() =>
        Assert.True(KernelMethods().Count() >= 17, $"found only {KernelMethods().Count()} kernels: {string.Join(", ", KernelMethods().Select(m => m.Name))}");

    [Fact]
    public void The_split_K_reduction_is_covered() =>
        Assert.Contains(KernelMethods(), m => m.DeclaringType == typeof(GemmKernels) && m.Name == nameof(GemmKernels.SumSplits));

    [Fact]
    public void The_conv_family_kernels_are_covered()
    {
        var names = KernelMethods().Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToHashSet();
        foreach (var k in new[]
        {
            nameof(ConvKernels) + "." + nameof(ConvKernels.Im2Col), nameof(ConvKernels) + "." + nameof(ConvKernels.Col2Im),
            nameof(ConvKernels) + "." + nameof(ConvKernels.SwapOuter), nameof(ConvKernels) + "." + nameof(ConvKernels.AddChannelBias),
            nameof(ConvKernels) + "." + nameof(ConvKernels.ChannelBiasGrad),
            nameof(BatchNorm2dKernels) + "." + nameof(BatchNorm2dKernels.ForwardTrain), nameof(BatchNorm2dKernels) + "." + nameof(BatchNorm2dKernels.ForwardEval),
            nameof(BatchNorm2dKernels) + "." + nameof(BatchNorm2dKernels.Backward),
        })
            Assert.Contains(k, names);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx(string kernel)
    {
        var method = KernelMethods().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == kernel);
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms());
        foreach (var arch in new[] { CudaArchitecture.SM_75, CudaArchitecture.SM_80, CudaArchitecture.SM_90 })
        {
            using var backend = new PTXBackend(context, arch, CudaInstructionSet.ISA_80, null!);
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);
            Assert.Contains(".entry", compiled.PTXAssembly);
            // ILGPU 1.5.3 emits at most sm_80 code for newer targets; it runs there through the driver's JIT.
            var target = compiled.PTXAssembly.Split('\n').Single(l => l.StartsWith(".target"));
            Assert.Contains("sm_", target);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_opencl_c(string kernel)
    {
        var method = KernelMethods().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == kernel);
        using var context = Context.Create(b => b.OpenCL().EnableAlgorithms());
        var caps = new CLCapabilityContext(float16: false, float64: true, genericAddressSpace: true, int64_Atomics: true, subGroups: false);
        using var backend = new CLBackend(context, caps, CLDeviceVendor.Other, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        Assert.Contains("kernel", compiled.Source);
    }
}
