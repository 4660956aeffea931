using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Plots;

/// <summary>A rectangle on the canvas, in pixels from the top-left corner.</summary>
internal readonly record struct Box(double Left, double Top, double Width, double Height)
{
    public double Right => Left + Width;

    public double Bottom => Top + Height;
}

/// <summary>A named line through the points (X[i], Y[i]).</summary>
internal sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Dashed = false);

/// <summary>One horizontal bar: its label on the left, its length, and optionally a goal marked across it.</summary>
internal sealed record Bar(string Label, double Value, double? Goal = null);

/// <summary>Bars drawn together under one title, in one colour.</summary>
internal sealed record BarGroup(string Title, IReadOnlyList<Bar> Bars);

/// <summary>The corner of the plotting area that holds the legend.</summary>
internal enum Corner
{
    TopRight,
    BottomRight,
}

/// <summary>A linear axis: a range of data values widened to round tick marks, mapped onto pixels.</summary>
internal sealed class Axis
{
    private readonly int _decimals;

    /// <summary>Creates an axis that covers [min, max] with about <paramref name="targetTicks"/> ticks at steps of 1, 2 or 5 times a power of ten.</summary>
    public Axis(string label, double min, double max, int targetTicks = 6)
    {
        if (!(max > min))
        {
            max = min + 1;
        }

        double step = RoundStep((max - min) / targetTicks);
        int first = (int)Math.Floor(min / step + 1e-9);
        int last = (int)Math.Ceiling(max / step - 1e-9);
        Label = label;
        Min = first * step;
        Max = last * step;
        Ticks = Enumerable.Range(first, last - first + 1).Select(i => i * step).ToArray();
        _decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
    }

    public string Label { get; }

    public double Min { get; }

    public double Max { get; }

    public IReadOnlyList<double> Ticks { get; }

    /// <summary>An axis that covers every value of every series.</summary>
    public static Axis Fit(string label, IEnumerable<IReadOnlyList<double>> values) =>
        new(label, values.Min(v => v.Min()), values.Max(v => v.Max()));

    /// <summary>Maps a data value onto the pixel range [from, to] (to may be less than from, as for a y axis).</summary>
    public double ToPixel(double value, double from, double to) => from + (value - Min) / (Max - Min) * (to - from);

    /// <summary>A tick value with as many decimals as the step needs.</summary>
    public string Format(double tick) => tick.ToString("F" + _decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static double RoundStep(double rough)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / power;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
    }
}

/// <summary>Collects SVG elements and writes them as one document.</summary>
internal sealed class SvgCanvas(double width, double height)
{
    private readonly StringBuilder _body = new();

    public void Line(double x1, double y1, double x2, double y2, string stroke, double strokeWidth = 1, string? dash = null) =>
        Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(strokeWidth)}\"{Dash(dash)}/>");

    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double strokeWidth = 2, string? dash = null) =>
        Append($"<polyline points=\"{string.Join(' ', points.Select(p => N(p.X) + "," + N(p.Y)))}\" fill=\"none\" stroke=\"{stroke}\" " +
            $"stroke-width=\"{N(strokeWidth)}\" stroke-linejoin=\"round\"{Dash(dash)}/>");

    public void Rectangle(Box box, string fill, string? stroke = null) =>
        Append($"<rect x=\"{N(box.Left)}\" y=\"{N(box.Top)}\" width=\"{N(box.Width)}\" height=\"{N(box.Height)}\" fill=\"{fill}\"" +
            (stroke is null ? "" : $" stroke=\"{stroke}\"") + "/>");

    /// <summary>Writes text whose anchor point (start, middle or end of its baseline) is (x, y), turned by <paramref name="rotate"/> degrees about it.</summary>
    public void Text(double x, double y, string text, double size = 12, string anchor = "start", double rotate = 0, bool bold = false) =>
        Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" text-anchor=\"{anchor}\"" +
            (bold ? " font-weight=\"bold\"" : "") +
            (rotate == 0 ? "" : $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"") +
            $">{Escape(text)}</text>");

    public void Save(string path)
    {
        var document = new StringBuilder();
        document.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" ")
            .Append("font-family=\"Helvetica, Arial, sans-serif\" fill=\"#222\">\n")
            .Append($"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"white\"/>\n")
            .Append(_body)
            .Append("</svg>\n");
        File.WriteAllText(path, document.ToString());
    }

    private void Append(string element) => _body.Append(element).Append('\n');

    private static string N(double value) => Math.Round(value, 2).ToString(CultureInfo.InvariantCulture);

    private static string Dash(string? dash) => dash is null ? "" : $" stroke-dasharray=\"{dash}\"";

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>Chart parts drawn on a <see cref="SvgCanvas"/>: a framed plotting area with axes, a legend, and line charts built from them.</summary>
internal static class Chart
{
    /// <summary>Colours that stay distinct for colour-blind readers.</summary>
    public static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

    private const string DashPattern = "7 4";
    private const string GridColour = "#e3e3e3";
    private const string AxisColour = "#555";
    private const double PlotTop = 40, PlotBottom = 56;
    private const double GroupTitleRow = 26, BarRow = 22, BarThickness = 15;

    /// <summary>Draws a line chart in <paramref name="box"/>: title, both axes with grid lines, one line per series and a legend.</summary>
    public static void Lines(SvgCanvas svg, Box box, string title, Axis x, Axis y, IReadOnlyList<Series> series, Corner legend)
    {
        Box plot = PlotArea(svg, box, title);
        YAxis(svg, plot, y);
        XAxis(svg, plot, x);
        for (int i = 0; i < series.Count; i++)
        {
            Series s = series[i];
            IEnumerable<(double, double)> points = s.X.Select((value, j) => (x.ToPixel(value, plot.Left, plot.Right), y.ToPixel(s.Y[j], plot.Bottom, plot.Top)));
            svg.Polyline(points, Palette[i % Palette.Length], dash: s.Dashed ? DashPattern : null);
        }

        Legend(svg, plot, series.Select((s, i) => (s.Name, Palette[i % Palette.Length], s.Dashed)).ToArray(), legend);
    }

    /// <summary>The height of a <see cref="HorizontalBars"/> chart of <paramref name="groups"/>: a title row per group and a row per bar, plus margins.</summary>
    public static double HorizontalBarsHeight(IReadOnlyList<BarGroup> groups) =>
        PlotTop + PlotBottom + groups.Sum(g => GroupTitleRow + g.Bars.Count * BarRow);

    /// <summary>
    /// Draws groups of horizontal bars in <paramref name="box"/>, each group under its title and in its own colour, with the
    /// value written at the end of each bar, a black tick at each bar's goal, and a solid line at <paramref name="reference"/>.
    /// </summary>
    public static void HorizontalBars(SvgCanvas svg, Box box, string title, Axis x, IReadOnlyList<BarGroup> groups, double reference)
    {
        Box plot = PlotArea(svg, box, title, left: 84);
        XAxis(svg, plot, x);
        double top = plot.Top;
        for (int i = 0; i < groups.Count; i++)
        {
            string colour = Palette[i % Palette.Length];
            svg.Text(plot.Left + 6, top + GroupTitleRow - 7, groups[i].Title, size: 13, bold: true);
            top += GroupTitleRow;
            foreach (Bar bar in groups[i].Bars)
            {
                double middle = top + BarRow / 2;
                double end = x.ToPixel(bar.Value, plot.Left, plot.Right);
                svg.Rectangle(new Box(plot.Left, middle - BarThickness / 2, end - plot.Left, BarThickness), colour);
                svg.Text(plot.Left - 8, middle + 4, bar.Label, anchor: "end");
                double textX = end;
                if (bar.Goal is double goal)
                {
                    double goalX = x.ToPixel(goal, plot.Left, plot.Right);
                    svg.Line(goalX, middle - BarRow / 2 + 1, goalX, middle + BarRow / 2 - 1, "#000", 2.5);
                    textX = Math.Max(end, goalX);
                }

                svg.Text(textX + 5, middle + 4, bar.Value.ToString("0.00", CultureInfo.InvariantCulture) + "x");

                top += BarRow;
            }
        }

        double referenceX = x.ToPixel(reference, plot.Left, plot.Right);
        svg.Line(referenceX, plot.Top, referenceX, plot.Bottom, AxisColour, 1.5);
    }

    /// <summary>Writes the title above <paramref name="box"/> and returns the part of it left for the data, inside the axis margins.</summary>
    public static Box PlotArea(SvgCanvas svg, Box box, string title, double left = 70)
    {
        const double Right = 20;
        svg.Text(box.Left + box.Width / 2, box.Top + 24, title, size: 15, anchor: "middle", bold: true);
        return new Box(box.Left + left, box.Top + PlotTop, box.Width - left - Right, box.Height - PlotTop - PlotBottom);
    }

    /// <summary>Draws horizontal grid lines at the ticks of <paramref name="y"/>, their values on the left and the axis label.</summary>
    public static void YAxis(SvgCanvas svg, Box plot, Axis y)
    {
        foreach (double tick in y.Ticks)
        {
            double py = y.ToPixel(tick, plot.Bottom, plot.Top);
            svg.Line(plot.Left, py, plot.Right, py, GridColour);
            svg.Line(plot.Left - 5, py, plot.Left, py, AxisColour);
            svg.Text(plot.Left - 8, py + 4, y.Format(tick), anchor: "end");
        }

        svg.Line(plot.Left, plot.Top, plot.Left, plot.Bottom, AxisColour);
        svg.Text(plot.Left - 52, plot.Top + plot.Height / 2, y.Label, size: 13, anchor: "middle", rotate: -90);
    }

    /// <summary>Draws vertical grid lines at the ticks of <paramref name="x"/>, their values below and the axis label.</summary>
    public static void XAxis(SvgCanvas svg, Box plot, Axis x)
    {
        foreach (double tick in x.Ticks)
        {
            double px = x.ToPixel(tick, plot.Left, plot.Right);
            svg.Line(px, plot.Top, px, plot.Bottom, GridColour);
            svg.Line(px, plot.Bottom, px, plot.Bottom + 5, AxisColour);
            svg.Text(px, plot.Bottom + 19, x.Format(tick), anchor: "middle");
        }

        svg.Line(plot.Left, plot.Bottom, plot.Right, plot.Bottom, AxisColour);
        svg.Text(plot.Left + plot.Width / 2, plot.Bottom + 42, x.Label, size: 13, anchor: "middle");
    }

    /// <summary>Draws a boxed legend, one sample line and name per entry, in a corner of the plotting area.</summary>
    public static void Legend(SvgCanvas svg, Box plot, IReadOnlyList<(string Name, string Colour, bool Dashed)> entries, Corner corner)
    {
        const double Row = 20, Sample = 28, Padding = 8, CharacterWidth = 7;
        double width = Padding * 3 + Sample + entries.Max(e => e.Name.Length) * CharacterWidth;
        double height = Padding * 2 + entries.Count * Row - 6;
        double left = plot.Right - width - 10;
        double top = corner == Corner.TopRight ? plot.Top + 10 : plot.Bottom - height - 10;
        svg.Rectangle(new Box(left, top, width, height), "white", "#bbb");
        for (int i = 0; i < entries.Count; i++)
        {
            double y = top + Padding + i * Row + 7;
            svg.Line(left + Padding, y, left + Padding + Sample, y, entries[i].Colour, 2, entries[i].Dashed ? DashPattern : null);
            svg.Text(left + Padding * 2 + Sample, y + 4, entries[i].Name);
        }
    }
}
