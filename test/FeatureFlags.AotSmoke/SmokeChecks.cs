using System.Globalization;

namespace FeatureFlags.AotSmoke;

/// <summary>Records and prints each expectation of the smoke run; the run exits non-zero when any failed.</summary>
internal sealed class SmokeChecks
{
    private int _passed;
    private int _failed;

    public int Passed => _passed;

    public int Failed => _failed;

    public void Equal<T>(string name, T expected, T actual)
    {
        if (EqualityComparer<T>.Default.Equals(expected, actual))
        {
            _passed++;
            Console.WriteLine($"  ok   {name} = {Format(actual)}");
        }
        else
        {
            _failed++;
            Console.WriteLine($"  FAIL {name}: expected {Format(expected)}, got {Format(actual)}");
        }
    }

    public void True(string name, bool condition, string detail = "")
    {
        if (condition)
        {
            _passed++;
            Console.WriteLine($"  ok   {name}");
        }
        else
        {
            _failed++;
            Console.WriteLine($"  FAIL {name} {detail}");
        }
    }

    /// <summary>Waits for a signal with a generous timeout that only trips when the behaviour is broken.</summary>
    public async Task<T?> WaitAsync<T>(string name, Task<T> signal, TimeSpan timeout)
    {
        try
        {
            var result = await signal.WaitAsync(timeout);
            return result;
        }
        catch (TimeoutException)
        {
            _failed++;
            Console.WriteLine($"  FAIL {name}: nothing within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            return default;
        }
    }

    private static string Format<T>(T value) => value switch
    {
        null => "null",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
