#Requires -Version 7
<#
.SYNOPSIS
    Restore, build, test and publish IlgpuGan.

.DESCRIPTION
    Usage (from the repository root; pwsh comes from the local tool manifest):
        dotnet tool restore; dotnet tool run pwsh ./build.ps1
        dotnet tool run pwsh ./build.ps1 -SkipTests
        dotnet tool run pwsh ./build.ps1 -Configuration Debug -SkipPublish
        dotnet tool run pwsh ./build.ps1 -Runtime linux-x64

    Steps: restore, build, test, publish (Host -> artifacts/ilgpugan).
    Stops at the first failing step with a non-zero exit code.

.PARAMETER Configuration
    Build configuration (default: Release).
.PARAMETER SkipTests
    Skip the test step.
.PARAMETER SkipPublish
    Skip publishing Host.
.PARAMETER Runtime
    Optional runtime identifier (e.g. linux-x64, win-x64) passed to publish.
    The published app is framework-dependent either way.
#>
[CmdletBinding()]
param(
    [string] $Configuration = 'Release',
    [switch] $SkipTests,
    [switch] $SkipPublish,
    [string] $Runtime
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$solution = Join-Path $root 'IlgpuGan.sln'
$hostProject = Join-Path $root 'Host/Host.csproj'
$publishDir = Join-Path $root 'artifacts/ilgpugan'

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Step {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string[]] $DotnetArgs
    )
    Write-Host ''
    Write-Host "==> $Name" -ForegroundColor Cyan
    Write-Host "    dotnet $($DotnetArgs -join ' ')"
    & dotnet @DotnetArgs
    if ($LASTEXITCODE -ne 0) {
        Write-Host ''
        Write-Host "BUILD FAILED: step '$Name' exited with code $LASTEXITCODE." -ForegroundColor Red
        exit $LASTEXITCODE
    }
}

Push-Location $root
try {
    Invoke-Step 'Restore' @('restore', $solution)

    Invoke-Step "Build ($Configuration)" @('build', $solution, '-c', $Configuration, '--no-restore')

    if ($SkipTests) {
        Write-Host ''
        Write-Host '==> Test (skipped)' -ForegroundColor DarkGray
    }
    else {
        Invoke-Step 'Test' @('test', $solution, '-c', $Configuration, '--no-build')
    }

    if ($SkipPublish) {
        Write-Host ''
        Write-Host '==> Publish (skipped)' -ForegroundColor DarkGray
    }
    else {
        $publishArgs = @('publish', $hostProject, '-c', $Configuration, '-o', $publishDir)
        if ($Runtime) {
            # A RID needs its own restore/build, so let publish do both.
            $publishArgs += @('-r', $Runtime, '--self-contained', 'false')
        }
        else {
            $publishArgs += '--no-restore'
        }
        Invoke-Step 'Publish Host' $publishArgs
    }

    Write-Host ''
    Write-Host 'BUILD SUCCEEDED' -ForegroundColor Green
}
finally {
    Pop-Location
}
