// Compiled with every ```csharp block of README.md, docs/*.md and src/*/README.md (see "Code in the docs" in README.md), never run.
// A block is a C# file of an app: top-level statements (optional) then type declarations. It may use these usings
// (a web app's implicit usings, the SDK's namespaces and those of a test project) and the variables below, which it
// may also declare itself (a local declaration hides the prelude's variable of the same name).
global using System;
global using System.Collections.Generic;
global using System.IO;
global using System.Linq;
global using System.Net;
global using System.Net.Http;
global using System.Net.Http.Json;
global using System.Threading;
global using System.Threading.Tasks;
global using System.Text.Json;
global using FeatureFlags;
global using FeatureFlags.AspNetCore;
global using FeatureFlags.Testing;
global using Microsoft.AspNetCore.Builder;
global using Microsoft.AspNetCore.Hosting;
global using Microsoft.AspNetCore.Http;
global using Microsoft.AspNetCore.Mvc;
global using Microsoft.AspNetCore.Mvc.Testing;
global using Microsoft.AspNetCore.Routing;
global using Microsoft.AspNetCore.TestHost;
global using Microsoft.Extensions.Configuration;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Hosting;
global using Microsoft.Extensions.Logging;
global using Xunit;
global using SnippetStandIns;
global using static SnippetPrelude;

#pragma warning disable CA1050, CA1707, IDE1006

/// <summary>The variables a block may use without declaring them.</summary>
public static class SnippetPrelude
{
    /// <summary>A web app's builder (<c>WebApplication.CreateBuilder(args)</c>).</summary>
    public static WebApplicationBuilder builder = null!;

    /// <summary>The built web app.</summary>
    public static WebApplication app = null!;

    /// <summary>A service collection (<c>builder.Services</c>).</summary>
    public static IServiceCollection services = null!;

    /// <summary>A started host (a worker, a test's host).</summary>
    public static IHost host = null!;

    /// <summary>The SDK's singleton client.</summary>
    public static IFeatureFlagClient client = null!;

    /// <summary>The request's scoped flags.</summary>
    public static IFeatureFlags flags = null!;

    /// <summary>A user.</summary>
    public static FlagUser user = null!;
}

// A block's own types (in the global namespace) win over these stand-ins of an app's types of the same name.
namespace SnippetStandIns
{
    /// <summary>Stand-in for an app's store of subscription plans (docs/aspnetcore.md, enrichers).</summary>
    public interface IPlanStore
    {
        /// <summary>The user's plan.</summary>
        ValueTask<string> GetPlanAsync(string userKey, CancellationToken cancellationToken);
    }

    /// <summary>Stand-in for an app's worker (docs/testing.md).</summary>
    public sealed class ImportWorker : BackgroundService
    {
        /// <inheritdoc />
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }

    /// <summary>Stand-in for an app's service (docs/testing.md).</summary>
    public sealed class PricingCalculator;
}
