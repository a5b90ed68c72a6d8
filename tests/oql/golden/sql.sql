-- oql: sql select component, count(*) as runs from runs group by 1 order by 2 desc

select component, count(*) as runs from runs group by 1 order by 2 desc
