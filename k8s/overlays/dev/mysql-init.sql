-- Run once by the mysql image on an empty data directory (/docker-entrypoint-initdb.d), after it
-- created the `sqlsynth` user from MYSQL_USER/MYSQL_PASSWORD. The validator uses that user as
-- its admin DSN: it creates two sandbox users and grants them rights on the `sx_%` scratch
-- databases and its control database only (shared/engines/provision.py). A user can grant only
-- what it holds WITH GRANT OPTION, hence these. Nothing on other databases, no SUPER.
-- tests/k8s/test_pods.py runs this file, then the validator provisions with that user alone.
GRANT CREATE USER ON *.* TO 'sqlsynth'@'%';
-- `sx_%` unescaped: MariaDB passes a right on for one fixture database (GRANT … ON sx_<hash>.*
-- TO its role, shared/engines/mysql.py) only from a wildcard grant, not from `sx\_%` (1044).
GRANT ALL PRIVILEGES ON `sx_%`.* TO 'sqlsynth'@'%' WITH GRANT OPTION;
-- The control database by its plain name: with the underscores escaped (a literal name in a
-- grant pattern) MariaDB refuses to pass the right on for that one database (error 1044).
GRANT ALL PRIVILEGES ON `sqlsynth_sx_ctl`.* TO 'sqlsynth'@'%' WITH GRANT OPTION;
