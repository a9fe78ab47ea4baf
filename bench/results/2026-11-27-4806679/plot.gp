set terminal pngcairo size 1200,500 font ",10"
set output "bench/results/2026-11-27-4806679/compare.png"
set multiplot layout 1,2 title "incidentd vs Alertmanager (2026-11-27, 4806679, 2 cores)"
set title "alerts/s by batch size (4 connections, closed loop)"
set logscale xy
set xlabel "alerts per request"
set ylabel "alerts/s"
set key top left
set grid
set xtics ("1" 1, "10" 10, "100" 100, "1000" 1000)
plot "bench/results/2026-11-27-4806679/throughput.dat" using 1:2 with linespoints lw 2 title "incidentd, known",      "" using 1:4 with linespoints lw 2 title "incidentd, new",      "" using 1:3 with linespoints lw 2 dt 2 title "Alertmanager, known",      "" using 1:5 with linespoints lw 2 dt 2 title "Alertmanager, new"
unset logscale x
unset xlabel
set xtics auto
set title "request latency at 5714 alerts/s offered (known, batch 100)"
set ylabel "ms (log)"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
plot "bench/results/2026-11-27-4806679/latency.dat" using 2:xtic(1) title "p50", "" using 3 title "p99"
unset multiplot
